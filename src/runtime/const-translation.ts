/**
 * Constants that TensorFlow.js cannot hold (SPEC §6): tfjs has float32, int32, bool,
 * string and complex64 only. The saved .pb keeps the true DT_INT8 / DT_UINT64 constants;
 * only the Session's private tfjs copy of the graph is translated, when it is created:
 *
 * - integer consts other than int32 (DT_INT8 weights and offsets, int16, uint8, uint16,
 *   uint32, int64) become DT_INT32 with the same values (int64 clamped to int32's range);
 * - DT_DOUBLE, DT_HALF and DT_BFLOAT16 become DT_FLOAT;
 * - DT_UINT64 (AscendDequant's deq_scale) is decoded into DT_FLOAT of shape
 *   [...dims, 3]: per element (scale, shift_n, offset_w), see decodeDeqScale.
 *
 * A kernel that needs the untranslated constant reads it from the session's graph:
 * `attrTensor(ctx.session.graph.producerOf(ctx.node.inputs[i]))`.
 */
import { DataType, makeTensor, toFloat32 } from '../ir';
import type { NodeDef, TensorValue } from '../ir';

/** Given a Const node, its replacement value for tfjs, or undefined to keep it. */
export type ConstMapper = (node: NodeDef) => TensorValue | undefined;

/** Fields per element of a decoded deq_scale, in this order. */
export const DEQ_SCALE_FIELDS = ['scale', 'shift_n', 'offset_w'] as const;

export interface DeqScale {
  /** float32 whose bits are bits 0–31. */
  scale: number;
  /** Bits 32–39: the shift N (0 when shift_bit is not used). */
  shift: number;
  /** Bits 40–47 as a signed int8: offset_w (0 in AMCT's symmetric weights). */
  offset: number;
}

const bits = new DataView(new ArrayBuffer(4));

/** Unpacks one deq_scale uint64 as AMCT packs it (SPEC §6). */
export function decodeDeqScale(packed: bigint): DeqScale {
  bits.setUint32(0, Number(packed & 0xffffffffn));
  const scale = bits.getFloat32(0);
  const shift = Number((packed >> 32n) & 0xffn);
  const rawOffset = Number((packed >> 40n) & 0xffn);
  return { scale, shift, offset: rawOffset >= 128 ? rawOffset - 256 : rawOffset };
}

function decodeDeqScaleTensor(t: TensorValue): TensorValue {
  const packed = t.data as BigUint64Array;
  const out = new Float32Array(packed.length * 3);
  packed.forEach((p, i) => {
    const d = decodeDeqScale(p);
    out.set([d.scale, d.shift, d.offset], i * 3);
  });
  return makeTensor(DataType.DT_FLOAT, [...t.shape.dims, 3], out);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function toInt32(t: TensorValue): TensorValue {
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(INT32_MAX, Math.max(INT32_MIN, Number(t.data[i])));
  return makeTensor(DataType.DT_INT32, t.shape.dims, out);
}

const TO_INT32 = new Set([
  DataType.DT_INT8, DataType.DT_QINT8, DataType.DT_INT16, DataType.DT_QINT16, DataType.DT_UINT8,
  DataType.DT_QUINT8, DataType.DT_UINT16, DataType.DT_QUINT16, DataType.DT_UINT32, DataType.DT_INT64, DataType.DT_QINT32,
]);
const TO_FLOAT32 = new Set([DataType.DT_DOUBLE, DataType.DT_HALF, DataType.DT_BFLOAT16]);

/** The translation of one tensor value, or undefined when tfjs holds it as is. */
export function translateTensor(t: TensorValue): TensorValue | undefined {
  if (t.dtype === DataType.DT_UINT64) return decodeDeqScaleTensor(t);
  if (TO_INT32.has(t.dtype)) return toInt32(t);
  if (TO_FLOAT32.has(t.dtype)) return makeTensor(DataType.DT_FLOAT, t.shape.dims, Float32Array.from(toFloat32(t)));
  return undefined;
}

/** The default ConstMapper: translateTensor on the node's `value` attribute. */
export const translateConst: ConstMapper = (node) => {
  const value = node.attr.value;
  return value?.kind === 'tensor' ? translateTensor(value.value) : undefined;
};

/** The first mapper that returns a value wins; later ones see only what earlier ones left. */
export function chainConstMappers(...mappers: (ConstMapper | undefined)[]): ConstMapper {
  const present = mappers.filter((m): m is ConstMapper => m !== undefined);
  return (node) => {
    for (const m of present) {
      const v = m(node);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
