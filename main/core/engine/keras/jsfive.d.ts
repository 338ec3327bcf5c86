// The part of jsfive (a pure JavaScript HDF5 reader) that the Keras reader uses; the package ships no types.
declare module 'jsfive' {
  type AttributeValue = string | number | bigint | (string | number | bigint)[];

  export class Group {
    readonly name: string;
    readonly keys: string[];
    readonly attrs: Record<string, AttributeValue>;
    get(path: string): Group | Dataset | null;
  }

  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }

  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    /** e.g. `<f4`; compound and variable-length types are arrays. */
    readonly dtype: string | unknown[];
    readonly attrs: Record<string, AttributeValue>;
    readonly value: ArrayLike<number>;
  }
}
