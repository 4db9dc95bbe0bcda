export * from './dtype';
export * from './types';
export * from './attr';
export * from './tensor';
export * from './tensor-name';
export * from './graph';
