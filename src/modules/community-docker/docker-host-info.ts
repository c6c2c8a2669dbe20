/**
 * `community.docker.docker_host_info` (also `docker_host_info`): the docker
 * host under their return keys: can_talk_to_docker, host_info (`docker
 * info`), and when asked containers (running, or all with containers_all),
 * images, networks, volumes (their short form, or whole objects with
 * verbose_output) and disk_usage (`docker system df`'s rows by type; theirs
 * gives the API's LayersSize and lists). Their *_filters select what is
 * listed, as `docker ... ls --filter NAME=VALUE` (a list of values: one
 * filter each). Reads only.
 */
import { z } from 'zod';
import { defineModule, type ModuleContext, type Plan } from '../types.js';
import { booleanArg } from '../argument-types.js';
import { asArray, asObject, asString } from '../../facts/docker-json.js';
import { notTaken } from './collection-arguments.js';
import { dockerInfoJson, filterFlags, inspectAll, jsonLines, listFilters, type Json } from './docker-listing.js';

const NAME = 'community.docker.docker_host_info';

const dockerHostInfoArgs = z
  .object({
    containers: booleanArg.default(false),
    containers_all: booleanArg.default(false),
    containers_filters: listFilters,
    images: booleanArg.default(false),
    images_filters: listFilters,
    networks: booleanArg.default(false),
    networks_filters: listFilters,
    volumes: booleanArg.default(false),
    volumes_filters: listFilters,
    disk_usage: booleanArg.default(false),
    verbose_output: booleanArg.default(false),
    ...notTaken(NAME, []),
  })
  .strict();

const SUMMARIES: Record<'containers' | 'images' | 'networks', (object: Json) => Json> = {
  containers: (c) => {
    const state = asObject(c.State);
    return {
      Id: c.Id, Image: asObject(c.Config).Image, Command: [asString(c.Path), ...asArray(c.Args).map(asString)].join(' '), Created: c.Created,
      Status: state.Status, Ports: asObject(asObject(c.NetworkSettings).Ports), Names: [c.Name],
    };
  },
  images: (i) => ({ Id: i.Id, RepoTags: i.RepoTags, Created: i.Created, Size: i.Size }),
  networks: (n) => ({ Id: n.Id, Name: n.Name, Driver: n.Driver, Created: n.Created, Scope: n.Scope }),
};

export const dockerHostInfo = defineModule({
  name: NAME,
  schema: dockerHostInfoArgs,
  async plan(ctx: ModuleContext, args): Promise<Plan> {
    const info = await dockerInfoJson(ctx);
    if (!info) return { steps: [], failed: `the docker daemon on ${ctx.host} does not answer: is docker running?`, result: { can_talk_to_docker: false } };
    const result: Record<string, unknown> = { can_talk_to_docker: true, host_info: info };
    const listed = async (key: keyof typeof SUMMARIES, list: string, inspect: string) => {
      const objects = await inspectAll(ctx, list, inspect);
      result[key] = args.verbose_output ? objects : objects.map(SUMMARIES[key]);
    };
    if (args.containers) await listed('containers', `docker ps -q${args.containers_all ? ' -a' : ''}${filterFlags(args.containers_filters)}`, 'docker container inspect');
    if (args.images) await listed('images', `docker image ls -q --no-trunc${filterFlags(args.images_filters)} | sort -u`, 'docker image inspect');
    if (args.networks) await listed('networks', `docker network ls -q${filterFlags(args.networks_filters)}`, 'docker network inspect');
    if (args.volumes) {
      const volumes = await ctx.probe(`docker volume ls --format '{{json .}}'${filterFlags(args.volumes_filters)}`);
      result.volumes = jsonLines(volumes.stdout, 'docker volume ls').map((v) => (args.verbose_output ? v : { Driver: v.Driver, Name: v.Name }));
    }
    if (args.disk_usage) {
      const df = await ctx.probe("docker system df --format '{{json .}}'");
      result.disk_usage = Object.fromEntries(jsonLines(df.stdout, 'docker system df').map((row) => [asString(row.Type), row]));
    }
    return { steps: [], result };
  },
});
