/**
 * `storage[]` (the plan's mounts) → pod volumes and the mounts every container gets
 * (https://kubernetes.io/docs/concepts/storage/volumes/). Each mount is named
 * `storage-<index>` after its place in `storage[]`.
 */

import type { MountPlan } from '../../plan/index.js';

/**
 * The CSI driver Alibaba Cloud ships for OSS (kubernetes-sigs/alibaba-cloud-csi-driver,
 * docs/oss.md): ossfs mounts the bucket on the node. Used as an inline CSI volume, so
 * the cluster's driver must allow the Ephemeral lifecycle mode; see docs/kubernetes.md.
 */
export const OSS_CSI_DRIVER = 'ossplugin.csi.alibabacloud.com';

export interface Volumes {
  volumes: Record<string, unknown>[];
  mounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

export function translateVolumes(mounts: MountPlan[], shmSize: string | undefined): Volumes {
  const out: Volumes = { volumes: [], mounts: [] };
  for (const m of mounts) {
    const name = `storage-${m.index}`;
    const { volume, readOnly } = source(m);
    out.volumes.push({ name, ...volume });
    out.mounts.push({ name, mountPath: m.mountPath, ...(readOnly ? { readOnly: true } : {}) });
  }
  // Containers get 64 MiB of /dev/shm by default; EAS's shm_size asks for more
  // (https://kubernetes.io/docs/concepts/storage/volumes/#emptydir, medium Memory).
  if (shmSize !== undefined && !mounts.some((m) => trimSlash(m.mountPath) === '/dev/shm')) {
    out.volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: shmSize } });
    out.mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
  }
  return out;
}

function source(m: MountPlan): { volume: Record<string, unknown>; readOnly: boolean } {
  const s = m.source;
  switch (s.kind) {
    case 'empty_dir':
      return {
        volume: {
          emptyDir: {
            ...(s.medium === 'memory' ? { medium: 'Memory' } : {}),
            ...(s.sizeLimit !== undefined ? { sizeLimit: String(s.sizeLimit) } : {}),
          },
        },
        readOnly: false,
      };
    case 'nfs':
      return { volume: { nfs: { server: s.server, path: s.path, readOnly: s.readOnly } }, readOnly: s.readOnly };
    case 'local':
      // A directory of the node, as the local platform mounts a directory of the host.
      return { volume: { hostPath: { path: s.path, type: 'Directory' } }, readOnly: s.readOnly };
    case 'oss': {
      const { bucket, path } = ossPath(s.path);
      return {
        volume: {
          csi: {
            driver: OSS_CSI_DRIVER,
            readOnly: s.readOnly,
            volumeAttributes: { bucket, path, ...(s.endpoint ? { url: s.endpoint } : {}) },
          },
        },
        readOnly: s.readOnly,
      };
    }
  }
}

/** `oss://bucket/dir/` → bucket and `/dir` (the driver's `path` is the subdirectory to mount). */
function ossPath(uri: string): { bucket: string; path: string } {
  const rest = uri.replace(/^oss:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: rest, path: '/' };
  return { bucket: rest.slice(0, slash), path: trimSlash(rest.slice(slash)) || '/' };
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
