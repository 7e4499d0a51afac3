// Literals and their types: shown by type (tables for lists and maps, links
// for blobs), and typed inputs that check a value against its LiteralType
// before anything is sent (the server checks again).
import { JSX } from 'preact';
import { fetchBlob } from './api';

export type LiteralType = any;
export type Literal = any;

export function typeName(t: LiteralType): string {
  if (!t) return '?';
  if (t.simple) return t.simple.toLowerCase();
  if (t.collection_type) return `list<${typeName(t.collection_type)}>`;
  if (t.map_value_type) return `map<string, ${typeName(t.map_value_type)}>`;
  if (t.blob) return t.blob.dimensionality === 'MULTIPART' ? 'directory' : 'file';
  if (t.enum_type) return `enum(${(t.enum_type.values ?? []).join('|')})`;
  if (t.union_type) return (t.union_type.variants ?? []).map(typeName).join(' | ');
  if (t.structured_dataset_type) return 'dataset';
  if (t.schema) return 'schema';
  return 'literal';
}

function primitiveText(p: any): string {
  if ('integer' in p) return String(p.integer);
  if ('float_value' in p) return String(p.float_value);
  if ('string_value' in p) return p.string_value;
  if ('boolean' in p) return String(p.boolean);
  if ('datetime' in p) return p.datetime;
  if ('duration' in p) return p.duration;
  return JSON.stringify(p);
}

// A blob's URI as a link: http(s) as is; a file of the server's (file://
// or a path) through its /blobs route, fetched with the bearer token and
// saved; a refusal is shown.
function BlobLink({ uri }: { uri: string }) {
  if (/^https?:/.test(uri)) return <a href={uri}>{uri}</a>;
  if (!/^(file:\/\/)?\//.test(uri)) return <code>{uri}</code>;
  const href = '/blobs?uri=' + encodeURIComponent(uri);
  const download = async (e: MouseEvent) => {
    e.preventDefault();
    try {
      const blob = await fetchBlob(href);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = uri.replace(/^.*\//, '');
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (err) {
      alert((err as Error).message);
    }
  };
  return (
    <a href={href} onClick={download} data-blob={uri}>
      {uri}
    </a>
  );
}

export function LiteralView({ lit }: { lit: Literal }): JSX.Element {
  if (!lit) return <em>none</em>;
  if (lit.offloaded_metadata) return <BlobLink uri={lit.offloaded_metadata.uri} />;
  if (lit.collection) {
    const items: Literal[] = lit.collection.literals ?? [];
    if (!items.length) return <em>[]</em>;
    return (
      <table class="lit">
        <tbody>
          {items.slice(0, 1000).map((l, i) => (
            <tr key={i}>
              <th>{i}</th>
              <td><LiteralView lit={l} /></td>
            </tr>
          ))}
          {items.length > 1000 && <tr><td colSpan={2}>… {items.length - 1000} more</td></tr>}
        </tbody>
      </table>
    );
  }
  if (lit.map) {
    const entries = Object.entries<Literal>(lit.map.literals ?? {});
    return entries.length ? <Entries entries={entries} cls="lit" /> : <em>{'{}'}</em>;
  }
  const s = lit.scalar;
  if (!s) return <code>{JSON.stringify(lit)}</code>;
  if (s.primitive) return <code>{primitiveText(s.primitive)}</code>;
  if (s.none_type !== undefined) return <em>none</em>;
  if (s.blob) return <BlobLink uri={s.blob.uri} />;
  if (s.structured_dataset) return <BlobLink uri={s.structured_dataset.uri} />;
  if (s.schema) return <BlobLink uri={s.schema.uri} />;
  if (s.union) return <LiteralView lit={s.union.value} />;
  if (s.generic) return <pre class="json">{JSON.stringify(s.generic, null, 2)}</pre>;
  if (s.error) return <span class="error">{s.error.message}</span>;
  return <code>{JSON.stringify(s)}</code>;
}

// Named literals as rows: a map's entries, or a LiteralMap's.
function Entries({ entries, cls }: { entries: [string, Literal][]; cls: string }) {
  return (
    <table class={cls}>
      <tbody>
        {entries.map(([k, l]) => (
          <tr key={k}>
            <th>{k}</th>
            <td><LiteralView lit={l} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function LiteralTable({ map, empty }: { map?: { literals?: Record<string, Literal> }; empty: string }) {
  const entries = Object.entries<Literal>(map?.literals ?? {});
  return entries.length ? <Entries entries={entries} cls="kv" /> : <p class="muted">{empty}</p>;
}

// Inputs beside outputs (an execution's or a node's data); `ended` says
// whether missing outputs are "none" or "not yet".
export function InputsOutputs({ data, ended, small }: { data?: any; ended: boolean; small?: boolean }) {
  const Heading = small ? 'h4' : 'h3';
  return (
    <div class="io">
      <div>
        <Heading>Inputs</Heading>
        <LiteralTable map={data?.full_inputs} empty="none" />
      </div>
      <div>
        <Heading>Outputs</Heading>
        <LiteralTable map={data?.full_outputs} empty={ended ? 'none' : 'not yet'} />
      </div>
    </div>
  );
}

// ---- typed input ----

// A literal as the text a form shows for it (the inverse of parseLiteral).
export function literalToText(t: LiteralType, lit: Literal): string {
  if (!lit) return '';
  const s = lit.scalar;
  if (s?.primitive) return primitiveText(s.primitive);
  if (s?.blob) return s.blob.uri;
  if (s?.union) return literalToText(null, s.union.value);
  return JSON.stringify(toJson(lit));
}

function toJson(lit: Literal): unknown {
  if (lit.collection) return (lit.collection.literals ?? []).map(toJson);
  if (lit.map) return Object.fromEntries(Object.entries(lit.map.literals ?? {}).map(([k, v]) => [k, toJson(v)]));
  const s = lit.scalar ?? {};
  if (s.primitive) {
    const p = s.primitive;
    if ('integer' in p) return Number(p.integer);
    if ('float_value' in p) return p.float_value;
    if ('boolean' in p) return p.boolean;
    return primitiveText(p);
  }
  if (s.generic) return s.generic;
  if (s.blob) return s.blob.uri;
  if (s.none_type !== undefined) return null;
  return null;
}

export class InputError extends Error {}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

// Text typed for type `t` as a literal; throws InputError saying what is
// wrong. Lists, maps and structs are written as JSON.
export function parseLiteral(t: LiteralType, text: string): Literal {
  if (t?.simple === 'STRING') return { scalar: { primitive: { string_value: text } } };
  if (t?.union_type) {
    const problems: string[] = [];
    for (const v of t.union_type.variants ?? []) {
      try {
        return { scalar: { union: { value: parseLiteral(v, text), type: v } } };
      } catch (e) {
        problems.push(`${typeName(v)}: ${(e as Error).message}`);
      }
    }
    throw new InputError(`fits no variant (${problems.join('; ')})`);
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new InputError('required');
  if (t?.simple === 'INTEGER') {
    if (!/^[-+]?\d+$/.test(trimmed)) throw new InputError('not an integer');
    return { scalar: { primitive: { integer: trimmed.replace(/^\+/, '') } } };
  }
  if (t?.simple === 'FLOAT') {
    const v = Number(trimmed);
    if (!Number.isFinite(v)) throw new InputError('not a number');
    return { scalar: { primitive: { float_value: v } } };
  }
  if (t?.simple === 'BOOLEAN') {
    if (trimmed !== 'true' && trimmed !== 'false') throw new InputError('true or false');
    return { scalar: { primitive: { boolean: trimmed === 'true' } } };
  }
  if (t?.simple === 'DATETIME') {
    if (!RFC3339.test(trimmed) || isNaN(Date.parse(trimmed))) throw new InputError('not an RFC 3339 time, e.g. 2026-01-31T12:00:00Z');
    return { scalar: { primitive: { datetime: trimmed } } };
  }
  if (t?.simple === 'DURATION') {
    if (!/^-?\d+(\.\d+)?s$/.test(trimmed)) throw new InputError('not a duration in seconds, e.g. 90s or 1.5s');
    return { scalar: { primitive: { duration: trimmed } } };
  }
  if (t?.enum_type) {
    const values: string[] = t.enum_type.values ?? [];
    if (!values.includes(trimmed)) throw new InputError(`one of ${values.join(', ')}`);
    return { scalar: { primitive: { string_value: trimmed } } };
  }
  if (t?.blob) return { scalar: { blob: { uri: trimmed, metadata: { type: t.blob } } } };
  if (t?.simple === 'NONE') return { scalar: { none_type: {} } };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    throw new InputError(`not JSON (a ${typeName(t)} is written as JSON)`);
  }
  return fromJson(t, json, '');
}

function fromJson(t: LiteralType, v: unknown, where: string): Literal {
  const at = where ? ` at ${where}` : '';
  if (t?.collection_type) {
    if (!Array.isArray(v)) throw new InputError(`not a list${at}`);
    return { collection: { literals: v.map((x, i) => fromJson(t.collection_type, x, `${where}[${i}]`)) } };
  }
  if (t?.map_value_type) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`not an object${at}`);
    return { map: { literals: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(t.map_value_type, x, `${where}.${k}`)])) } };
  }
  if (t?.simple === 'STRUCT') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`not an object${at}`);
    return { scalar: { generic: v } };
  }
  try {
    return parseLiteral(t, typeof v === 'string' ? v : JSON.stringify(v));
  } catch (e) {
    throw new InputError(`${(e as Error).message}${at}`);
  }
}

// One input of a form: a checkbox for booleans, a select for enums, a text
// field (JSON for lists, maps and structs); the error shows inline.
export function LiteralInput(props: {
  name: string;
  type: LiteralType;
  value: string;
  error?: string;
  onInput: (text: string) => void;
}) {
  const { name, type, value, error, onInput } = props;
  let field: JSX.Element;
  if (type?.simple === 'BOOLEAN') {
    field = (
      <select name={name} value={value} onChange={(e) => onInput((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (type?.enum_type) {
    field = (
      <select name={name} value={value} onChange={(e) => onInput((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        {(type.enum_type.values ?? []).map((v: string) => <option value={v}>{v}</option>)}
      </select>
    );
  } else if (type?.collection_type || type?.map_value_type || type?.simple === 'STRUCT') {
    field = <textarea name={name} rows={3} value={value} onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)} />;
  } else {
    field = <input name={name} value={value} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />;
  }
  return (
    <label class={'field' + (error ? ' invalid' : '')}>
      <span class="label">
        {name} <span class="muted">{typeName(type)}</span>
      </span>
      {field}
      {error && <span class="field-error" role="alert">{error}</span>}
    </label>
  );
}
