/** Model zoos: files, validation, members and splits (engine side; fitting lives in ../tf). */
export * from './types';
export { checkZooFileSize, readZoo } from './read';
export { parseZoo, type ZooReadOptions } from './parse';
export { parseZooMeta, zooMetaJson, type ZooMetaJson } from './meta';
export { writeZooNpz, writeZooSafetensors } from './write';
export {
  labelCounts,
  memberModel,
  memberRow,
  subsetZoo,
  zooFromModels,
  zooSplit,
  type ZooSplit,
} from './members';
