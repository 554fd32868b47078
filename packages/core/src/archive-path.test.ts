import { describe, expect, it } from 'vitest';
import { archiveHash, archivePath, DEFAULT_HASHIDS_SALT, instanceDirectory } from './archive-path.js';
import { typedUuid } from './typed-uuid.js';

describe('archive path', () => {
  it('matches the documented vectors: generic_uuid("{}") and H({})', () => {
    expect(typedUuid('generic', '{}')).toBe('10039c5a-f000-5c82-a032-0c5207b2ae19');
    expect(archiveHash('{}')).toBe('PAVpwrObxp5YjYRvrJOd5yVp');
  });

  it('is /products/v2/<pipeline>/<H(child_of)>/<H(data)> with every dash removed', () => {
    const path = archivePath({
      pipeline_uuid: '106c46ff-8186-5756-a934-071f4497b58d',
      child_of: [],
      data: {},
    });
    expect(path).toBe(
      `/products/v2/106c46ff81865756a934071f4497b58d/${archiveHash('')}/PAVpwrObxp5YjYRvrJOd5yVp`,
    );
    expect(path).not.toContain('-');
  });

  it('hashes the parents joined with ":" and the data as sorted compact JSON', () => {
    const parents = ['102e95e6-67a8-5a06-9484-3131c6907890', '1031e8d1-2ca5-5e2f-9b7a-6a7f4b3e2f10'];
    const path = archivePath({
      pipeline_uuid: '106c46ff-8186-5756-a934-071f4497b58d',
      child_of: parents,
      data: { b: 1, a: 'x' },
    });
    expect(path.split('/')[4]).toBe(archiveHash(parents.join(':')));
    expect(path.split('/')[5]).toBe(archiveHash('{"a":"x","b":1}'));
  });

  it('takes another salt', () => {
    expect(archiveHash('{}', 'another salt')).not.toBe(archiveHash('{}', DEFAULT_HASHIDS_SALT));
  });

  it('adds <session>-YYYYMMDDTHHmmssZ (UTC) when instanced, and refuses a session too short to name it', () => {
    const at = new Date('2018-12-08T00:08:32.123Z');
    expect(instanceDirectory('warm-otter', at)).toBe('warm-otter-20181208T000832Z');
    const path = archivePath(
      { pipeline_uuid: '106c46ff-8186-5756-a934-071f4497b58d', data: {} },
      { instance: { session: 'warm-otter', at } },
    );
    expect(path.endsWith('/warmotter20181208T000832Z')).toBe(true);
    expect(() => instanceDirectory('abc', at)).toThrow(/at least 4 characters/);
  });
});
