/**
 * The images a fresh lab's first host has "as if pulled from Docker Hub"
 * (there is no hub here): made with `docker import` from Debian binaries.
 * - registry: Debian's docker-registry (linked only to libc) with a
 *   config.yml serving :5000 from /var/lib/registry;
 * - httpd, nginx, dockersamples/visualizer: busybox-static's httpd serving a
 *   page that names the image and tag (visualizer on 8080, as the walkthrough
 *   publishes 8000:8080).
 * Root file systems are built once per machine under <lab root>/image-rootfs.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync, copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import path from 'node:path';
import { SwarmplayError } from '../errors.js';
import { runLocal } from './local-command.js';
import { runInHost } from './host-exec.js';

export interface LabImage {
  repository: string;
  tag: string;
  /** More tags for the same image, e.g. registry:2. */
  alsoTagged: string[];
  changes: string[];
  rootfs: 'registry' | 'busybox-httpd';
  port?: number;
}

function httpdImage(repository: string, alsoTagged: string[], port = 80): LabImage {
  return {
    repository,
    tag: 'latest',
    alsoTagged,
    rootfs: 'busybox-httpd',
    port,
    // busybox as PID 1 ignores SIGTERM, so `docker stop` would wait its full 10 s; a real httpd or nginx
    // stops at once. The shell makes the container stop promptly too.
    changes: [
      `CMD ["/bin/sh","-c","trap 'exit 0' TERM INT; /bin/httpd -f -v -p ${port} -h /www & wait"]`,
      `EXPOSE ${port}`,
    ],
  };
}

export const LAB_IMAGES: readonly LabImage[] = [
  {
    repository: 'registry',
    tag: 'latest',
    alsoTagged: ['registry:2'],
    rootfs: 'registry',
    changes: [
      'ENTRYPOINT ["/bin/registry"]',
      'CMD ["serve","/etc/docker/registry/config.yml"]',
      'EXPOSE 5000',
      'VOLUME ["/var/lib/registry"]',
    ],
  },
  httpdImage('httpd', ['httpd:2.4', 'httpd:alpine']),
  httpdImage('nginx', ['nginx:alpine', 'nginx:stable']),
  httpdImage('dockersamples/visualizer', ['dockersamples/visualizer:stable'], 8080),
];

const REGISTRY_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
`;

/** Libraries a dynamic binary needs, from ldd: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the loader line. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await runLocal('ldd', [binary]);
  const paths: string[] = [];
  for (const line of stdout.split('\n')) {
    const linked = /=>\s+(\/\S+)/.exec(line);
    const loader = /^\s*(\/\S+)\s+\(/.exec(line);
    if (linked) paths.push(linked[1]!);
    else if (loader) paths.push(loader[1]!);
  }
  return paths;
}

function copyInto(rootfs: string, source: string, target = source): void {
  const destination = path.join(rootfs, target);
  mkdirSync(path.dirname(destination), { recursive: true });
  copyFileSync(realpathSync(source), destination);
  chmodSync(destination, 0o755);
}

async function buildRegistryRootfs(rootfs: string): Promise<void> {
  copyInto(rootfs, '/usr/bin/docker-registry', '/bin/registry');
  for (const library of await sharedLibraries('/usr/bin/docker-registry')) copyInto(rootfs, library);
  mkdirSync(path.join(rootfs, 'etc/docker/registry'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/docker/registry/config.yml'), REGISTRY_CONFIG);
  mkdirSync(path.join(rootfs, 'var/lib/registry'), { recursive: true });
  mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
}

async function buildBusyboxRootfs(rootfs: string): Promise<void> {
  copyInto(rootfs, '/bin/busybox');
  const { stdout } = await runLocal('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((name) => name && name !== 'busybox')) {
    symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  }
  mkdirSync(path.join(rootfs, 'www'), { recursive: true });
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\n');
  writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nwww-data:x:33:\n');
  mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
}

/** The page names the image and tag, so a test (or a curious user) can tell which image answered. */
export function indexPage(image: LabImage): string {
  return `<!DOCTYPE html>\n<html><head><title>${image.repository} ${image.tag}</title></head>\n` +
    `<body><h1>${image.repository} ${image.tag}</h1>\n` +
    `<p>swarmplay lab image: busybox httpd standing in for ${image.repository}:${image.tag}</p></body></html>\n`;
}

/** A cached root file system is reused only while what it was built from is unchanged. */
function rootfsCacheKey(image: LabImage): string {
  const sources = image.rootfs === 'registry' ? ['/usr/bin/docker-registry'] : ['/bin/busybox'];
  const material = [
    image.rootfs,
    image.rootfs === 'registry' ? REGISTRY_CONFIG : indexPage(image),
    ...sources.map((source) => `${source}:${statSync(source).mtimeMs}:${statSync(source).size}`),
  ].join('\n');
  return createHash('sha256').update(material).digest('hex').slice(0, 12);
}

async function imageRootfs(cacheDir: string, image: LabImage): Promise<string> {
  const rootfs = path.join(cacheDir, `${image.repository.replace(/\//g, '_')}-${rootfsCacheKey(image)}`);
  if (existsSync(rootfs)) return rootfs;
  const building = `${rootfs}.${process.pid}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  if (image.rootfs === 'registry') await buildRegistryRootfs(building);
  else {
    await buildBusyboxRootfs(building);
    writeFileSync(path.join(building, 'www/index.html'), indexPage(image));
  }
  try {
    renameSync(building, rootfs);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another lab built it at the same time
  }
  return rootfs;
}

/** `tar -C rootfs -c . | docker import --change ... - repo:tag`, the client running inside the host. */
function importTarball(hostPid: number, rootfs: string, image: LabImage): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const importer = spawn('nsenter', [
      '-t', String(hostPid), '-m', '-u', '-n', '--wd=/', '--',
      '/usr/bin/docker', 'import', ...image.changes.flatMap((change) => ['--change', change]), '-', `${image.repository}:${image.tag}`,
    ], { stdio: ['pipe', 'ignore', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' } });
    tar.stdout.pipe(importer.stdin);
    const errors: string[] = [];
    tar.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    importer.stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    importer.on('error', reject);
    importer.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new SwarmplayError('LAB_FAILED', `docker import of ${image.repository}:${image.tag} failed: ${errors.join('').trim()}`));
    });
  });
}

export async function importLabImages(hostPid: number, cacheDir: string): Promise<void> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  await Promise.all(LAB_IMAGES.map(async (image) => {
    const rootfs = await imageRootfs(cacheDir, image);
    await importTarball(hostPid, rootfs, image);
    for (const alias of image.alsoTagged) {
      await runInHost(hostPid, ['/usr/bin/docker', 'tag', `${image.repository}:${image.tag}`, alias]);
    }
  }));
}

/** An image's settings as `docker import --change` lines state them, turned into an image config for `docker load`. */
function imageConfig(image: LabImage): Record<string, unknown> {
  const config: Record<string, unknown> = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] };
  for (const change of image.changes) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(change) ?? [];
    if (instruction === 'CMD') config.Cmd = JSON.parse(rest!);
    else if (instruction === 'ENTRYPOINT') config.Entrypoint = JSON.parse(rest!);
    else if (instruction === 'EXPOSE') config.ExposedPorts = { [`${rest}/tcp`]: {} };
    else if (instruction === 'VOLUME') config.Volumes = Object.fromEntries((JSON.parse(rest!) as string[]).map((volume) => [volume, {}]));
  }
  return config;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

/**
 * The lab images as one archive in `docker save`'s layout (manifest.json, one
 * config and one layer per image), so a host with Docker and no hub gets them
 * with `docker load`: how images reach an air-gapped site. Built once per
 * machine under `cacheDir`, keyed like the root file systems.
 */
export async function labImageArchive(cacheDir: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const key = createHash('sha256').update(LAB_IMAGES.map((image) => `${rootfsCacheKey(image)}:${JSON.stringify(image)}`).join('\n')).digest('hex').slice(0, 12);
  const archive = path.join(cacheDir, `lab-images-${key}.tar`);
  if (existsSync(archive)) return archive;
  const building = `${archive}.${process.pid}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  for (const image of LAB_IMAGES) {
    const rootfs = await imageRootfs(path.join(cacheDir, 'rootfs'), image);
    const layer = path.join(building, 'layer.tar');
    await runLocal('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', rootfs, '-cf', layer, '.']);
    const diffId = await sha256File(layer);
    mkdirSync(path.join(building, diffId), { recursive: true });
    renameSync(layer, path.join(building, diffId, 'layer.tar'));
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: imageConfig(image),
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'swarmplay lab image' }],
    });
    const configId = createHash('sha256').update(config).digest('hex');
    writeFileSync(path.join(building, `${configId}.json`), config);
    manifest.push({ Config: `${configId}.json`, RepoTags: [`${image.repository}:${image.tag}`, ...image.alsoTagged], Layers: [`${diffId}/layer.tar`] });
  }
  writeFileSync(path.join(building, 'manifest.json'), JSON.stringify(manifest));
  await runLocal('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', building, '-cf', `${archive}.${process.pid}.tmp`, '.']);
  renameSync(`${archive}.${process.pid}.tmp`, archive);
  rmSync(building, { recursive: true, force: true });
  return archive;
}
