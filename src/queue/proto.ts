/**
 * The queue service's protobuf messages (package `streaming` in the Python SDK's
 * `queue_types/queueservice.proto`; the wire bytes are the same everywhere).
 */

import protobuf from 'protobufjs';

// Map fields (`keyType`) are IMapField, which the INamespace literal type does not list.
const descriptor = {
  nested: {
    streaming: {
      nested: {
        DataFrameProto: {
          fields: {
            index: { type: 'uint64', id: 1 },
            tags: { keyType: 'string', type: 'string', id: 2 },
            data: { type: 'bytes', id: 3 },
            message: { type: 'string', id: 4 },
          },
        },
        DataFrameListProto: { fields: { index: { rule: 'repeated', type: 'DataFrameProto', id: 1 } } },
        AttributesProto: { fields: { attributes: { keyType: 'string', type: 'string', id: 1 } } },
      },
    },
  },
};
const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);

const Frame = root.lookupType('streaming.DataFrameProto');
const FrameList = root.lookupType('streaming.DataFrameListProto');
const Attributes = root.lookupType('streaming.AttributesProto');

export const PROTOBUF = 'application/vnd.google.protobuf';

export interface Frame {
  index: number;
  tags: Record<string, string>;
  data: Buffer;
  message?: string;
}

const plain = (f: Frame) => ({
  index: f.index,
  tags: f.tags,
  data: f.data,
  ...(f.message ? { message: f.message } : {}),
});

export function encodeFrame(f: Frame): Buffer {
  return Buffer.from(Frame.encode(Frame.fromObject(plain(f))).finish());
}

export function encodeFrameList(frames: Frame[]): Buffer {
  return Buffer.from(FrameList.encode(FrameList.fromObject({ index: frames.map(plain) })).finish());
}

export function encodeAttributes(attributes: Record<string, string>): Buffer {
  return Buffer.from(Attributes.encode(Attributes.fromObject({ attributes })).finish());
}

function toFrame(o: Record<string, unknown>): Frame {
  return {
    index: Number(o.index ?? 0),
    tags: (o.tags as Record<string, string>) ?? {},
    data: Buffer.from((o.data as Uint8Array) ?? []),
    ...(o.message ? { message: String(o.message) } : {}),
  };
}

export function decodeFrame(bytes: Uint8Array): Frame {
  return toFrame(Frame.toObject(Frame.decode(bytes), { longs: Number, defaults: true }));
}

export function decodeFrameList(bytes: Uint8Array): Frame[] {
  const o = FrameList.toObject(FrameList.decode(bytes), { longs: Number, defaults: true, arrays: true });
  return (o.index as Record<string, unknown>[]).map(toFrame);
}

export function decodeAttributes(bytes: Uint8Array): Record<string, string> {
  const o = Attributes.toObject(Attributes.decode(bytes), { objects: true });
  return (o.attributes as Record<string, string>) ?? {};
}

/** The JSON form: `{"index":N,"message":"…" (omitted when empty),"tags":{…},"data":"<base64>"}`. */
export function frameJson(f: Frame): Record<string, unknown> {
  return {
    index: f.index,
    ...(f.message ? { message: f.message } : {}),
    tags: f.tags,
    data: f.data.toString('base64'),
  };
}
