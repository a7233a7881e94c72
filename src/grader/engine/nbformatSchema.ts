/**
 * nbformat's own JSON Schema (v4.5, nbformat.v4.5.schema.json from the nbformat package, BSD-3-Clause)
 * checked with ajv, with messages a student can act on. A cell and an output are checked against
 * the definition their type names, so an error says what is wrong with that cell, not that it
 * matches none of the schema's alternatives.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './nbformat.v4.5.schema.json' with { type: 'json' };

const ID = 'nbformat-v4.5';
const CELL_TYPES = ['code', 'markdown', 'raw'] as const;
const OUTPUT_TYPES = ['execute_result', 'display_data', 'stream', 'error'] as const;

let validators: { notebook: ValidateFunction; definition: (name: string) => ValidateFunction } | undefined;

function compiled() {
  if (!validators) {
    // the schema is draft-04; the keywords it uses mean the same in ajv's default draft
    const { $schema: _draft, ...body } = schema as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: false });
    ajv.addSchema({ ...body, $id: ID });
    const definition = (name: string) => ajv.getSchema(`${ID}#/definitions/${name}`)!;
    validators = { notebook: ajv.getSchema(ID)!, definition };
  }
  return validators;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One ajv error as a sentence about `where` (a cell, an output, the notebook). */
function describe(where: string, error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    if (missing === 'source') return `${where} has no source string (or list of strings)`;
    return `${where}${field ? ` (${field})` : ''} has no "${missing}" field`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${where}${field ? ` (${field})` : ''} has a field "${extra}" that nbformat 4 does not allow`;
  }
  if (field === 'source') return `${where} has no source string (or list of strings)`;
  return `${where}: ${field ? `"${field}" ` : ''}${error.message ?? 'is not valid'}`;
}

/**
 * Why `data` (nbformat 4, cells already a list) is not a valid notebook, or null. Cells and outputs
 * first, each against its own type's definition, then the whole notebook.
 */
export function schemaProblem(data: Record<string, unknown>): string | null {
  const { notebook, definition } = compiled();
  const cells = data.cells as unknown[];
  for (const [index, cell] of cells.entries()) {
    const where = `cell ${index + 1}`;
    if (!isRecord(cell)) return `${where} is not an object`;
    const type = cell.cell_type;
    if (!CELL_TYPES.includes(type as (typeof CELL_TYPES)[number]))
      return `${where} has cell_type ${JSON.stringify(type)}; expected "code", "markdown" or "raw"`;
    if (type === 'code' && Array.isArray(cell.outputs)) {
      for (const [o, output] of cell.outputs.entries()) {
        const at = `${where}, output ${o + 1}`;
        const outputType = isRecord(output) ? output.output_type : undefined;
        if (!OUTPUT_TYPES.includes(outputType as (typeof OUTPUT_TYPES)[number]))
          return `${at} has output_type ${JSON.stringify(outputType)}; expected one of ${OUTPUT_TYPES.join(', ')}`;
        const check = definition(String(outputType));
        if (!check(output)) return describe(at, check.errors![0]!);
      }
    }
    const check = definition(`${String(type)}_cell`);
    if (!check(cell)) return describe(where, check.errors![0]!);
  }
  if (!notebook(data)) return describe('the notebook', notebook.errors![0]!);
  return null;
}
