export type * from './control-plane.js';
