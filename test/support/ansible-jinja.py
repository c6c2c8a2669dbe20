#!/usr/bin/python3
"""Renders templates the way Ansible's template module does, for the
differential test of swarmplay's Jinja engine.

stdin: a JSON list of {"template": text, "vars": mapping}.
stdout: a JSON list, one entry per case: {"ok": rendered text} or
{"error": the exception's class name and message}.

All cases go through one process so the comparison costs one interpreter
start. The environment is the one ansible-core's template action builds:
AnsibleEnvironment with Ansible's filters, tests and lookups, trim_blocks on,
the source's trailing newlines kept.
"""
import json
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.template import AnsibleEnvironment, Templar


def main():
    cases = json.load(sys.stdin)
    loader = DataLoader()
    base = Templar(loader=loader)
    results = []
    for case in cases:
        templar = base.copy_with_new_env(
            environment_class=AnsibleEnvironment,
            newline_sequence='\n',
            trim_blocks=True,
            lstrip_blocks=False,
            available_variables=case.get('vars', {}),
        )
        try:
            text = templar.do_template(case['template'], preserve_trailing_newlines=True, escape_backslashes=False)
            results.append({'ok': str(text)})
        except Exception as error:  # every failure is data for the comparison
            results.append({'error': '%s: %s' % (type(error).__name__, error)})
    json.dump(results, sys.stdout)


main()
