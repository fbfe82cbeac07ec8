/**
 * FreeNAS `extent` <-> Extent. The seed's fields always go out; fields from later
 * releases (block size, serial, ro, rpm, TPC, Xen, threshold) go out once they differ
 * from their defaults. `iscsi_target_extent_disk` and the type "Disk" (FreeNAS 9.3+)
 * name a device ("zvol/..." for a ZFS volume).
 */
import type { Extent } from '../../domain/entities.js';
import { EXTENT_DEFAULTS } from '../../domain/defaults.js';
import type { ExtentInput, ExtentService } from '../../domain/extents.js';
import type { Resource } from './resource.js';
import { bool, int, intOrNull, pick, str, strOrNull, type WireField } from '../http/fields.js';

const fields: Record<string, WireField> = {
  iscsi_target_extent_comment: { schema: str('user description'), domain: 'comment', response: true },
  iscsi_target_extent_type: {
    schema: { type: 'string', enum: ['File', 'Device', 'ZFS Volume', 'Disk'], description: 'File, Device, ZFS Volume' },
    domain: 'type',
    response: true,
  },
  iscsi_target_extent_name: { schema: str('identifier of the extent'), domain: 'name', response: true },
  iscsi_target_extent_filesize: {
    schema: { type: 'string', description: 'size: bytes, or a number with KB/MB/GB/TB; 0 adopts an existing file' },
    domain: 'sizeBytes',
    response: true,
  },
  iscsi_target_extent_path: { schema: str('path to the extent (inside a pool), or the device'), domain: 'path', response: true },
  iscsi_target_extent_blocksize: { schema: int('512 or 4096'), domain: 'blockSize', response: true },
  iscsi_target_extent_serial: { schema: strOrNull('unit serial number'), domain: 'serial', response: true },
  iscsi_target_extent_ro: { schema: bool('read-only'), domain: 'readOnly', response: true },
  iscsi_target_extent_rpm: { schema: str('SSD, Unknown, 5400, 7200, 10000, 15000'), domain: 'rpm', response: true },
  iscsi_target_extent_insecure_tpc: { schema: bool('allow third-party copy'), domain: 'insecureTpc', response: true },
  iscsi_target_extent_xen: { schema: bool('Xen initiator compatibility'), domain: 'xen', response: true },
  iscsi_target_extent_avail_threshold: { schema: intOrNull('pool space warning threshold, %'), domain: 'availThreshold', response: true },
  iscsi_target_extent_naa: { schema: str('NAA identifier (0x + 16 hex digits)'), domain: 'naa' },
  iscsi_target_extent_disk: { schema: str('device name for Disk/Device extents (FreeNAS 9.3+)'), domain: 'path' },
  iscsi_target_extent_pblocksize: { schema: bool(), ignored: true },
  iscsi_target_extent_legacy: { schema: bool(), ignored: true },
  iscsi_target_extent_enabled: { schema: bool(), ignored: true },
  id: { schema: int(), ignored: true, response: true },
};

export function extentResource(service: ExtentService): Resource<Extent, ExtentInput> {
  return {
    path: 'extent',
    title: 'Extent: the storage behind a LUN',
    fields,
    service,
    toWire: (e) => {
      const wire: Record<string, unknown> = {
        iscsi_target_extent_comment: e.comment,
        iscsi_target_extent_type: e.type,
        iscsi_target_extent_name: e.name,
        iscsi_target_extent_filesize: e.sizeText,
        id: e.id,
        iscsi_target_extent_path: e.displayPath ?? e.path,
      };
      if (e.blockSize !== EXTENT_DEFAULTS.blockSize) wire.iscsi_target_extent_blocksize = e.blockSize;
      if (e.serial !== EXTENT_DEFAULTS.serial) wire.iscsi_target_extent_serial = e.serial;
      if (e.readOnly !== EXTENT_DEFAULTS.readOnly) wire.iscsi_target_extent_ro = e.readOnly;
      if (e.rpm !== EXTENT_DEFAULTS.rpm) wire.iscsi_target_extent_rpm = e.rpm;
      if (e.insecureTpc !== EXTENT_DEFAULTS.insecureTpc) wire.iscsi_target_extent_insecure_tpc = e.insecureTpc;
      if (e.xen !== EXTENT_DEFAULTS.xen) wire.iscsi_target_extent_xen = e.xen;
      if (e.availThreshold !== EXTENT_DEFAULTS.availThreshold) wire.iscsi_target_extent_avail_threshold = e.availThreshold;
      return wire;
    },
    fromWire: (body) => {
      const input = pick(body, fields) as ExtentInput & { sizeBytes?: string };
      if (input.sizeBytes !== undefined) input.size = input.sizeBytes;
      delete input.sizeBytes;
      const disk = body.iscsi_target_extent_disk as string | undefined;
      if (disk !== undefined) input.path = disk;
      if (input.type === 'Disk') {
        const device = disk ?? (body.iscsi_target_extent_path as string | undefined) ?? '';
        input.type = /^(\/dev\/)?zvol\//.test(device) ? 'ZFS Volume' : 'Device';
      }
      return input;
    },
  };
}
