import { ApiPagedResponse, ApiPagination } from './pagination.decorators.js';

class ItemDto {}

/** Where @nestjs/swagger keeps what its decorators declare (its DECORATORS constants, not exported). */
const PARAMETERS_KEY = 'swagger/apiParameters';
const RESPONSES_KEY = 'swagger/apiResponse';

/** The OpenAPI metadata `decorator` leaves on a handler, under `key`. */
function metadataOf(decorator: MethodDecorator, key: string): unknown {
  const handler = (): void => undefined;
  decorator({}, 'handler', { value: handler });
  return Reflect.getMetadata(key, handler);
}

describe('ApiPagination', () => {
  it('documents page and page_size with the bounds parsePagination enforces', () => {
    expect(metadataOf(ApiPagination(), PARAMETERS_KEY)).toEqual([
      expect.objectContaining({ name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } }),
      expect.objectContaining({ name: 'page_size', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } }),
    ]);
  });
});

describe('ApiPagedResponse', () => {
  function headerNames(capped: boolean): string[] {
    const responses = metadataOf(ApiPagedResponse(ItemDto, { capped }), RESPONSES_KEY) as Record<string, { headers: object }>;
    return Object.keys(responses['200']?.headers ?? {});
  }

  it('documents Total-Number, Total-Number-Is-Capped and Link for a capped list', () => {
    expect(headerNames(true)).toEqual(['Total-Number', 'Total-Number-Is-Capped', 'Link']);
  });

  it('leaves Total-Number-Is-Capped out for a list that always counts exactly', () => {
    expect(headerNames(false)).toEqual(['Total-Number', 'Link']);
  });
});
