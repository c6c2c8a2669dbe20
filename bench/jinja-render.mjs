// Render time of a compiled Jinja template: 200 lines, two nested loops over
// 100 items each side. Run after `npx tsc -p .`: node bench/jinja-render.mjs
import { compileTemplate } from '../dist/src/language/jinja-template.js';

const lines = [];
lines.push('{% for host in hosts %}');
lines.push('{% if host.enabled %}');
lines.push('host {{ host.name }} {{ host.ip }} {{ loop.index }}/{{ loop.length }}');
lines.push('{% for port in host.ports if port > 1000 %}');
lines.push('  port {{ port }}{% if not loop.last %},{% endif %} {{ host.name | upper }}');
lines.push('{% endfor %}');
lines.push('{% else %}');
lines.push('# {{ host.name }} disabled');
lines.push('{% endif %}');
lines.push('{% endfor %}');
for (let i = lines.length; i < 200; i++) lines.push(`static line ${i} {{ title | default("none") }} {{ (i_${i % 7} | default(0)) + ${i} }}`);
const source = `${lines.join('\n')}\n`;

const hosts = Array.from({ length: 100 }, (_, i) => ({
  name: `node${i}`, ip: `10.0.${Math.floor(i / 250)}.${i % 250}`, enabled: i % 10 !== 0,
  ports: Array.from({ length: 100 }, (_, j) => 900 + j * 3),
}));
const vars = { hosts, title: 'bench' };

const t0 = process.hrtime.bigint();
const template = compileTemplate(source, { file: 'bench.j2' });
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
for (let i = 0; i < 20; i++) template.render(vars); // warm up
const runs = 200;
const times = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  template.render(vars);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const out = template.render(vars);
console.log(`template: ${source.split('\n').length - 1} lines, 100 hosts x 100 ports, output ${out.length} bytes`);
console.log(`compile: ${compileMs.toFixed(2)} ms; render median ${times[runs / 2].toFixed(2)} ms, p90 ${times[Math.floor(runs * 0.9)].toFixed(2)} ms, min ${times[0].toFixed(2)} ms (${runs} runs)`);
