import { RequestError } from '../common/errors/request-error.js';
import { parseLogListQuery } from './log-query.js';

function codeOf(query: Record<string, unknown>): string {
  try {
    parseLogListQuery(query);
  } catch (error) {
    if (error instanceof RequestError) return error.code;
    throw error;
  }
  throw new Error('expected parseLogListQuery to throw');
}

describe('parseLogListQuery', () => {
  it('reads the filters and the page', () => {
    expect(parseLogListQuery({ userId: 'u1', logKey: 'ManagementApi.User.Update', start_time: '5', end_time: '9', page: '2' })).toEqual({
      filter: { userId: 'u1', applicationId: undefined, key: 'ManagementApi.User.Update', startTime: 5, endTime: 9 },
      pagination: { page: 2, pageSize: 20, offset: 20 },
    });
  });

  it('treats empty ids as no filter', () => {
    expect(parseLogListQuery({ userId: '', applicationId: '' }).filter).toEqual({});
  });

  it('answers the filters before the page', () => {
    expect(codeOf({ start_time: 'soon', page: '0' })).toBe('guard.invalid_input');
    expect(codeOf({ start_time: '9', end_time: '5', page: '0' })).toBe('log.invalid_time_window');
    expect(codeOf({ page: ['1', '2'] })).toBe('guard.invalid_input');
    expect(codeOf({ page: '0' })).toBe('guard.invalid_pagination');
  });
});
