import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../src/language/inventory.js';
import { inventoryGraph, inventoryListJson, inventoryListText } from '../../src/language/inventory-view.js';
import { ansibleInventoryGraph, ansibleInventoryList, ansibleInventoryListText, FIXTURES, requireAnsible } from '../fixtures/inventory/ansible-oracle.js';

const FILES = [
  fileURLToPath(new URL('../../../inventory/hosts.yaml', import.meta.url)),
  join(FIXTURES, 'basic/hosts.yaml'),
  join(FIXTURES, 'folders/inventory/hosts.yaml'),
];

describe('inventory --list and --graph: identical to ansible-inventory', function () {
  this.timeout(60000);
  before(requireAnsible);

  for (const file of FILES) {
    const name = file.replace(FIXTURES, '');
    it(`--list of ${name} is the same JSON, and the same text`, async () => {
      const inv = await loadInventory(file);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(inventoryListJson(inv))), ansibleInventoryList(file));
      assert.equal(inventoryListText(inv), ansibleInventoryListText(file));
    });

    it(`--graph of ${name} is the same text`, async () => {
      assert.equal(inventoryGraph(await loadInventory(file)), ansibleInventoryGraph(file));
    });
  }

  it('--graph GROUP draws that group only', async () => {
    const file = join(FIXTURES, 'basic/hosts.yaml');
    assert.equal(inventoryGraph(await loadInventory(file), 'swarm'), ansibleInventoryGraph(file, 'swarm'));
  });

  it('draws the walkthrough cluster as Ansible does', async () => {
    assert.equal(
      inventoryGraph(await loadInventory(FILES[0]!)),
      ['@all:', '  |--@ungrouped:', '  |--@managers:', '  |  |--docker01', '  |--@workers:', '  |  |--docker02', '  |  |--docker03'].join('\n'),
    );
  });
});
