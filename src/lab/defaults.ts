/** The lab's defaults, apart from the lab's code so the CLI can show them without loading it. */
export const DEFAULT_LAB = {
  name: 'lab',
  hosts: 3,
  prefix: 'docker',
  subnet: '10.203.0.0/24',
  inventoryFile: 'inventory/lab.yaml',
} as const;
