import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { RawHttpResponse } from './bad-input.js';

/**
 * Checks answers against the server's own OpenAPI document with a standard JSON Schema validator
 * (Ajv, which reads OpenAPI 3.0's `nullable`): the status must be declared for the operation, the
 * content type declared for that status, and the body valid against its schema.
 *
 * The document is read as a closed world: an object schema that lists its `properties` and says
 * nothing about others allows no others here, so an undocumented field in an answer (a leaked hash,
 * a renamed key) fails like a wrong type does.
 */

type JsonObject = Record<string, unknown>;

interface ResponseObject {
  content?: Record<string, { schema?: JsonObject }>;
}

interface OperationObject {
  responses: Record<string, ResponseObject>;
}

/** An OpenAPI 3.0 document, as far as the contract reads it (the rest goes to Ajv as is). */
export interface ContractDocument {
  paths: Record<string, Record<string, object>>;
  components?: { schemas?: Record<string, object> };
}

const DOCUMENT_ID = 'openapi';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A deep copy in which every object schema with `properties` and no `additionalProperties` is closed. */
function closedWorld(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closedWorld);
  if (!isObject(node)) return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closedWorld(value)]));
  if (isObject(node.properties) && !('additionalProperties' in node)) copy.additionalProperties = false;
  return copy;
}

/** A JSON pointer into the document, as Ajv resolves it (`openapi#/paths/~1api~1users/get/…`). */
function pointer(...segments: string[]): string {
  return `${DOCUMENT_ID}#/${segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

function mediaTypeOf(response: RawHttpResponse): string | undefined {
  const header = response.headers['content-type'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export class OpenApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });

  constructor(private readonly document: ContractDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(closedWorld(document) as JsonObject, DOCUMENT_ID);
  }

  /** What is wrong with `response` as an answer of `METHOD template` (empty when nothing is). */
  problemsWith(method: string, template: string, response: RawHttpResponse): string[] {
    const operation = this.document.paths[template]?.[method.toLowerCase()] as OperationObject | undefined;
    if (!operation) return [`${method} ${template} is not in the document`];
    const status = String(response.status);
    const declared = operation.responses[status] ?? operation.responses[`${status[0]}XX`] ?? operation.responses.default;
    if (!declared) return [`an undocumented ${status} for ${method} ${template}: ${response.text.slice(0, 200)}`];
    const declaredKey = operation.responses[status] ? status : `${status[0]}XX`;
    if (!declared.content) {
      return response.text === '' ? [] : [`a ${status} with a body where the document declares none: ${response.text.slice(0, 200)}`];
    }
    const mediaType = mediaTypeOf(response);
    if (mediaType === undefined || !declared.content[mediaType]) {
      return [`a ${status} as ${JSON.stringify(mediaType ?? null)}, documented as ${Object.keys(declared.content).join(' or ')}`];
    }
    if (!declared.content[mediaType].schema) return [];
    const schemaPointer = pointer('paths', template, method.toLowerCase(), 'responses', declaredKey, 'content', mediaType, 'schema');
    return this.bodyProblems(schemaPointer, response.text, `a ${status} of ${method} ${template}`);
  }

  /** What the document's request body schema of `METHOD template` finds wrong with `body`. */
  requestBodyProblems(method: string, template: string, body: unknown, mediaType = 'application/json'): string[] {
    const schemaPointer = pointer('paths', template, method.toLowerCase(), 'requestBody', 'content', mediaType, 'schema');
    return this.bodyProblems(schemaPointer, JSON.stringify(body), `a ${mediaType} body of ${method} ${template}`);
  }

  /** What is wrong with `text` as a body of the document's component schema `name`. */
  componentProblems(name: string, text: string): string[] {
    if (!this.document.components?.schemas?.[name]) return [`${name} is not a schema of the document`];
    return this.bodyProblems(pointer('components', 'schemas', name), text, `a body as ${name}`);
  }

  private bodyProblems(schemaPointer: string, text: string, what: string): string[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${what} that is not JSON: ${JSON.stringify(text.slice(0, 200))}`];
    }
    const validate = this.ajv.getSchema(schemaPointer);
    if (!validate) return [`no schema at ${schemaPointer}`];
    if (validate(body)) return [];
    const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? error.keyword}`);
    return [`${what} that does not match the document (${errors.join('; ')}): ${text.slice(0, 300)}`];
  }
}
