/**
 * The IR types are readonly (an IR never changes once built; see
 * scripts/gen-ir-types.mjs). These are the same shapes made writable, for
 * the code that builds an IR piece by piece and for tests that edit a fixture
 * before handing it on as the readonly type.
 */

/** One level writable: T's properties, or its elements if T is an array (src/check/build-ir.ts). */
export type Writable<T> = T extends readonly (infer U)[] ? U[] : { -readonly [K in keyof T]: T[K] };

/** Every level writable (test fixtures). */
export type Draft<T> = T extends readonly (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;
