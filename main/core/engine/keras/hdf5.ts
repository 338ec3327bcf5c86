// Opens HDF5 bytes with jsfive, a pure JavaScript reader: a damaged file can only make it throw, never take the
// process down, and it reads from the bytes it is given (whose size the caller caps). What jsfive does not check
// is checked first: the signature, and that the file is as long as its superblock says (a truncated download).
import * as jsfive from 'jsfive';

export type Hdf5Group = jsfive.Group;
export type Hdf5Dataset = jsfive.Dataset;
type AttributeValue = Hdf5Group['attrs'][string];

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Value types weights may be stored as; read as float32, as TF.js holds them. */
const FLOAT_DTYPES = new Set(['<f4', '>f4', '<f8', '>f8']);

export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** What a file that is not HDF5 looks like instead, when it is a model file under the wrong name; else ''. */
function lookalike(bytes: Uint8Array): string {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return ' (it is a zip archive: a Keras 3 model saved as .keras? Give it the .keras extension)';
  }
  // An ONNX ModelProto starts with its ir_version (field 1, a varint) and usually names its producer early on.
  const start = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  if (bytes[0] === 0x08 && /pytorch|onnx|tf2onnx|keras2onnx|skl2onnx/i.test(start)) {
    return ' (it looks like an ONNX model: give it the .onnx extension)';
  }
  return '';
}

/** `what` names the file in every message. */
export function openHdf5(bytes: Uint8Array, what: string): jsfive.File {
  if (!isHdf5(bytes)) throw new Error(`${what} is not an HDF5 file: it does not start with the HDF5 signature${lookalike(bytes)}`);
  const declared = declaredLength(bytes);
  if (declared !== null && declared > bytes.length) {
    throw new Error(`${what} is truncated: its HDF5 header says the file is ${declared} bytes long, but it has ${bytes.length} bytes`);
  }
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const buffer = whole ? (bytes.buffer as ArrayBuffer) : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  return hdf5Call(what, () => new jsfive.File(buffer, what));
}

/** Runs a jsfive call; what it throws (often a bare string) becomes an Error that names the file. */
export function hdf5Call<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${what} could not be read as HDF5 (the file may be damaged): ${message}`);
  }
}

/** The group at `path` (names joined by /), or null when there is none (or it is a dataset). */
export function childGroup(group: Hdf5Group, path: string, what: string): Hdf5Group | null {
  const child = childAt(group, path, what);
  return child instanceof jsfive.Group ? child : null;
}

export function childDataset(group: Hdf5Group, path: string, what: string): Hdf5Dataset | null {
  const child = childAt(group, path, what);
  return child instanceof jsfive.Dataset ? child : null;
}

/** Walks `path` one name at a time: a missing name is null, not jsfive's thrown string. */
function childAt(group: Hdf5Group, path: string, what: string): Hdf5Group | Hdf5Dataset | null {
  let current: Hdf5Group | Hdf5Dataset | null = group;
  for (const name of path.split('/')) {
    if (!(current instanceof jsfive.Group)) return null;
    const parent: Hdf5Group = current;
    if (!hdf5Call(what, () => parent.keys).includes(name)) return null;
    current = hdf5Call(what, () => parent.get(name));
  }
  return current;
}

export function attributes(node: Hdf5Group | Hdf5Dataset, what: string): Record<string, AttributeValue> {
  return hdf5Call(what, () => node.attrs);
}

/** A text attribute (stored as a fixed-length byte string or a variable-length string), else undefined. */
export function textAttribute(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * A list-of-texts attribute. Keras 2 splits one that would pass HDF5's 64 KB header limit into `name0`, `name1`, …
 * (hdf5_format.save_attributes_to_hdf5_group): those are joined. Undefined when there is none.
 */
export function textListAttribute(attrs: Record<string, AttributeValue>, name: string, what: string): string[] | undefined {
  const parts = name in attrs ? [attrs[name]] : [];
  for (let chunk = 0; `${name}${chunk}` in attrs; chunk++) parts.push(attrs[`${name}${chunk}`]);
  if (parts.length === 0) return undefined;
  return parts.flatMap((part) => {
    const list = Array.isArray(part) ? part : [part];
    if (!list.every((item) => typeof item === 'string')) throw new Error(`${what}: attribute ${name} is not a list of names`);
    return list as string[];
  });
}

/**
 * A floating-point dataset as float32 values. `maxValues` bounds what a damaged header can make the reader
 * allocate: a dataset cannot hold more values than its file has bytes, unless it is compressed.
 */
export function readFloat32(dataset: Hdf5Dataset, what: string, maxValues: number): { shape: number[]; values: Float32Array } {
  const { shape, dtype } = hdf5Call(what, () => ({ shape: dataset.shape, dtype: dataset.dtype }));
  if (typeof dtype !== 'string' || !FLOAT_DTYPES.has(dtype)) {
    throw new Error(`${what}: weight ${dataset.name} is stored as ${JSON.stringify(dtype)}; Sightline reads float32 and float64 weights`);
  }
  const count = shape.reduce((product, side) => product * side, 1);
  if (!Number.isSafeInteger(count) || count > maxValues) {
    throw new Error(`${what}: weight ${dataset.name} claims shape [${shape.join(', ')}], more values than the file can hold`);
  }
  const contiguous = hdf5Call(what, () => contiguousFloat32(dataset, count));
  if (contiguous) return { shape, values: contiguous };
  const raw = hdf5Call(what, () => dataset.value);
  if (raw.length !== count) throw new Error(`${what}: weight ${dataset.name} holds ${raw.length} values, its shape [${shape.join(', ')}] says ${count}`);
  return { shape, values: Float32Array.from(raw) };
}

/** jsfive's DataObjects, whose data layout message says where a dataset's bytes lie. */
interface DataObjects {
  fh: ArrayBuffer;
  find_msg_type(type: number): Map<string, number>[];
  _get_data_message_properties(offset: number): [number, number | undefined, number, number];
}

const DATA_STORAGE_MESSAGE = 0x0008;
const CONTIGUOUS_LAYOUT = 1;

/**
 * A little-endian float32 dataset stored in one contiguous block (how Keras writes weights), copied out in one
 * go: jsfive's `value` builds a JavaScript array one element at a time, about 0.3 s and 16 bytes per million
 * values, several seconds and gigabytes for VGG16. Null for anything else (chunked, compressed, other types),
 * which `value` then reads. This reads jsfive's internals: keras-h5.test.ts checks that Keras's files take this path.
 */
export function contiguousFloat32(dataset: Hdf5Dataset, count: number): Float32Array | null {
  const objects = (dataset as unknown as { _dataobjects?: Partial<DataObjects> })._dataobjects;
  if (dataset.dtype !== '<f4' || !(objects?.fh instanceof ArrayBuffer)) return null;
  if (typeof objects.find_msg_type !== 'function' || typeof objects._get_data_message_properties !== 'function') return null;
  const [message] = objects.find_msg_type(DATA_STORAGE_MESSAGE);
  const messageOffset = message?.get('offset_to_message');
  if (messageOffset === undefined) return null;
  const [, , layout, propertyOffset] = objects._get_data_message_properties(messageOffset);
  if (layout !== CONTIGUOUS_LAYOUT) return null;
  const address = new DataView(objects.fh).getBigUint64(propertyOffset, true);
  const start = Number(address);
  if (address > BigInt(objects.fh.byteLength) || start + 4 * count > objects.fh.byteLength) {
    throw new Error(`weight ${dataset.name} lies beyond the end of the file`);
  }
  // A view when aligned (the file's buffer is kept until the weights are joined into one buffer), else a copy.
  return start % 4 === 0 ? new Float32Array(objects.fh, start, count) : new Float32Array(objects.fh.slice(start, start + 4 * count));
}

/** base address + end-of-file address from the superblock (versions 0–3), or null when it cannot be read. */
function declaredLength(bytes: Uint8Array): number | null {
  const version = bytes[8];
  const offsetSize = version <= 1 ? bytes[13] : bytes[9];
  const baseAt = version === 0 ? 24 : version === 1 ? 28 : 12;
  if (version > 3 || ![2, 4, 8].includes(offsetSize) || bytes.length < baseAt + 3 * offsetSize) return null;
  const base = readAddress(bytes, baseAt, offsetSize);
  const end = readAddress(bytes, baseAt + 2 * offsetSize, offsetSize);
  return base === null || end === null ? null : base + end;
}

/** A little-endian address; null when undefined (all bits set) or beyond what a JavaScript number holds. */
function readAddress(bytes: Uint8Array, at: number, size: number): number | null {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]);
  if (value === (1n << BigInt(8 * size)) - 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(value);
}
