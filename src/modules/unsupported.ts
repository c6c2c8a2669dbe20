/**
 * Ansible modules swarmplay does not have, and the nearest way to do the same
 * with what it has: the loader says this instead of "unknown module" so that
 * a role written for Ansible stops at the task's line with a way forward, not
 * a list of names. The table holds the modules public Docker and base-server
 * roles use; any other `namespace.collection.module` name gets the general
 * advice (command or shell), since it is a real module of some collection.
 * Such a task is refused when a host runs it, not when the playbook is read:
 * multi-OS roles hold zypper or yum_versionlock tasks their Debian hosts skip.
 */

const GENERAL = 'Run the program it drives with command or shell instead, e.g. '
  + "'command: {argv: [program, arg], creates: /path/it/makes}' (creates/removes keep a second run from changing anything).";

/** Short name -> what to write instead. */
const NEAREST: Readonly<Record<string, string>> = {
  synchronize: "Copy a folder with copy (src: 'folder/' copies its content), or run rsync yourself: "
    + "'command: rsync -a --delete SRC/ HOST:DEST/' with delegate_to: localhost.",
  pamd: "Edit the PAM file with lineinfile or replace, e.g. 'lineinfile: {path: /etc/pam.d/sshd, regexp: pam_motd, state: absent}'.",
  openssh_keypair: "Use ssh_keygen (swarmplay's module: path, type, bits, comment), or 'command: ssh-keygen -q -t rsa -b 4096 -N \"\" -f PATH' with creates: PATH.",
  pkgng: "swarmplay's hosts are Linux: use package, or 'command: pkg install -y NAME'.",
  yum_versionlock: "Run 'command: dnf versionlock add NAME' (needs the versionlock plugin).",
  selinux: "Run 'command: setenforce 0' and edit /etc/selinux/config with lineinfile.",
  seboolean: "Run 'command: setsebool -P NAME on'.",
  alternatives: "Run 'command: update-alternatives --set NAME PATH'.",
  lvg: "Run 'command: vgcreate NAME DEVICE' with creates: /dev/NAME.",
  lvol: "Run 'command: lvcreate -n NAME -L SIZE VG' with creates: /dev/VG/NAME.",
  filesystem: "Run 'command: mkfs.ext4 DEVICE' guarded by a 'command: blkid DEVICE' check, then mount.",
  ansible_fact_diff: 'Show the two values with debug.',
  fact_diff: 'Show the two values with debug.',
  wait_for_port: "Use wait_for (port, host, timeout).",
  docker_compose: "Use community.docker.docker_compose_v2's arguments with 'command: docker compose -f FILE up -d', or deploy the file as a swarm stack with docker_stack.",
  docker_prune: "Run 'command: docker system prune -f' (add --volumes or --all as needed).",
  docker_container_info: "Run 'command: docker container inspect NAME' and read its JSON with from_json.",
  docker_image_info: "Run 'command: docker image inspect NAME' and read its JSON with from_json.",
  docker_volume_info: "Run 'command: docker volume inspect NAME' and read its JSON with from_json.",
  docker_plugin: "Run 'command: docker plugin install --grant-all-permissions NAME'.",
  zypper: "swarmplay's package module drives apt and dnf: on SUSE run 'command: zypper --non-interactive install NAME'.",
  zypper_repository: "Run 'command: zypper --non-interactive addrepo --refresh URL NAME' with creates: /etc/zypp/repos.d/NAME.repo.",
  apk: "swarmplay's package module drives apt and dnf: on Alpine run 'command: apk add --no-cache NAME'.",
  pacman: "swarmplay's package module drives apt and dnf: on Arch run 'command: pacman -S --noconfirm --needed NAME'.",
  snap: "Run 'command: snap install NAME' with creates: /snap/bin/NAME.",
};

/**
 * Why a module name is refused and what to write instead, or undefined for a
 * name that is no known module (the loader then suggests close names).
 */
export function refuseModule(name: string, isModule: (short: string) => boolean): { message: string; hint: string; known: boolean } | undefined {
  const short = name.replace(/^[a-z0-9_]+\.[a-z0-9_]+\./, '');
  const nearest = NEAREST[short];
  if (nearest !== undefined) return { message: `'${name}' is an Ansible module swarmplay does not have`, hint: nearest, known: true };
  if (short === name) return undefined;
  // A module swarmplay has, under a collection that has no such module: a misspelling, refused at once.
  if (isModule(short)) return { message: `'${name}' is no module of that collection`, hint: `Did you mean '${short}'?`, known: false };
  return { message: `'${name}' is an Ansible module swarmplay does not have`, hint: GENERAL, known: true };
}
