// The package ships no declarations beside its ESM core: reuse the main entry's for the two we import.
declare module 'fast-json-patch/module/core.mjs' {
  export { applyOperation, applyPatch } from 'fast-json-patch'
}
