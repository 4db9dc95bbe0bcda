/** Every fuzz target; registering one is one line here. */
import type { FuzzTarget } from '../target';
import { cfgTarget } from './cfg';
import { configJsonTarget } from './config-json';
import { feedsTarget } from './feeds';
import { modelJsonTarget } from './model-json';
import { npyTarget } from './npy';
import { pbTarget } from './pb';
import { recordTarget } from './record';

export const TARGETS: FuzzTarget[] = [
  pbTarget,
  modelJsonTarget,
  configJsonTarget,
  cfgTarget,
  recordTarget,
  npyTarget,
  feedsTarget,
];
