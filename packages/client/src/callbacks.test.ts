import { describe, expect, it } from 'vitest';
import { AGAVE_JOB_STATUS, agaveNotifications, callbackUrl, tapisSubscriptions } from './callbacks.js';

const target = {
  managerUrl: new URL('https://jobs.example.org/manager/'),
  uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
  token: '0dc73dc3ff39b49a',
  nonce: 'pjn_abc',
  session: 'warm-otter',
};

describe('callback URLs', () => {
  it('is the URL-parameter form of /messages under the Manager URL, the macro left for Agave', () => {
    expect(callbackUrl(target, { status: AGAVE_JOB_STATUS })).toBe(
      'https://jobs.example.org/manager/messages?uuid=107b93f3-1eae-5e79-8a18-0a480f8aa3a5&token=0dc73dc3ff39b49a&x-nonce=pjn_abc&session=warm-otter&status=\u0024{JOB_STATUS}',
    );
  });

  it('gives the three Agave presets of the original', () => {
    expect(
      agaveNotifications(target).map(({ event, persistent, url }) => [
        event,
        persistent,
        url.split('&status=')[1],
      ]),
    ).toEqual([
      ['RUNNING', true, AGAVE_JOB_STATUS],
      ['FINISHED', false, 'FINISHED'],
      ['FAILED', false, AGAVE_JOB_STATUS],
    ]);
  });

  it('gives a Tapis v3 subscription of every status change, to the URL without a status', () => {
    const [subscription] = tapisSubscriptions(target);
    expect(subscription?.eventCategoryFilter).toBe('JOB_NEW_STATUS');
    expect(subscription?.deliveryTargets).toEqual([
      { deliveryMethod: 'WEBHOOK', deliveryAddress: callbackUrl(target) },
    ]);
  });
});
