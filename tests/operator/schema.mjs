// Structural OpenAPI v3 schemas as a CustomResourceDefinition carries them: defaulting,
// pruning of unknown fields and validation, with the field paths and messages the real
// apiextensions-apiserver uses. Part of the test Kubernetes API server (apiserver.mjs); the
// chart test reuses it to check rendered custom resources against the CRDs.

const clone = (v) => (v === undefined ? undefined : structuredClone(v));

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;  // string, boolean, object
}

function show(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (isObject(v)) return '"object"';
  if (Array.isArray(v)) return '"array"';
  return String(v);
}

const join = (path, key) => (path ? `${path}.${key}` : key);

// Applies `default`s top-down (a defaulted value gets its own nested defaults too) and
// replaces nulls of non-nullable fields that have a default.
export function applyDefaults(value, schema) {
  if (!schema) return value;
  if (isObject(value)) {
    for (const [k, sub] of Object.entries(schema.properties || {})) {
      if ((value[k] === undefined || (value[k] === null && !sub.nullable)) &&
          sub.default !== undefined) {
        value[k] = clone(sub.default);
      }
      if (value[k] !== undefined) value[k] = applyDefaults(value[k], sub);
    }
    if (isObject(schema.additionalProperties)) {
      for (const k of Object.keys(value)) {
        if (!(schema.properties && k in schema.properties)) {
          value[k] = applyDefaults(value[k], schema.additionalProperties);
        }
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) value[i] = applyDefaults(value[i], schema.items);
  }
  return value;
}

// Drops fields the schema does not name (unless x-kubernetes-preserve-unknown-fields);
// returns the dropped paths (what fieldValidation=Strict reports as unknown fields).
// At the root, apiVersion, kind and metadata always stay.
export function prune(value, schema, path = '', root = true) {
  const dropped = [];
  if (!schema) return dropped;
  if (isObject(value)) {
    const props = schema.properties || {};
    for (const k of Object.keys(value)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      if (k in props) {
        dropped.push(...prune(value[k], props[k], join(path, k), false));
      } else if (isObject(schema.additionalProperties)) {
        dropped.push(...prune(value[k], schema.additionalProperties, join(path, k), false));
      } else if (schema.additionalProperties === true ||
                 schema['x-kubernetes-preserve-unknown-fields']) {
        // kept as is
      } else {
        dropped.push(join(path, k));
        delete value[k];
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => dropped.push(...prune(item, schema.items, `${path}[${i}]`, false)));
  }
  return dropped;
}

// Returns a list of causes { field, reason, message } (empty when valid).
export function validate(value, schema, path = '') {
  const errs = [];
  walk(value, schema, path, errs);
  return errs;
}

function invalid(errs, path, value, detail) {
  errs.push({ field: path, reason: 'FieldValueInvalid',
              message: `Invalid value: ${show(value)}: ${detail}` });
}

function walk(v, s, path, errs) {
  if (!s) return;
  const where = path || 'body';
  if (v === null) {
    if (s.nullable) return;
    // A null the defaulting pass did not replace: kube reports the type.
    if (s.type) invalid(errs, path, v, `${where} in body must be of type ${s.type}: "null"`);
    return;
  }
  const t = typeOf(v);
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'integer' && t !== 'string') {
      invalid(errs, path, v, `${where} in body must be of type integer or string: "${t}"`);
      return;
    }
  } else if (s.type) {
    const ok = s.type === t || (s.type === 'number' && t === 'integer');
    if (!ok) {
      invalid(errs, path, v, `${where} in body must be of type ${s.type}: "${t}"`);
      return;
    }
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push({ field: path, reason: 'FieldValueNotSupported',
                message: `Unsupported value: ${show(v)}: supported values: ` +
                         s.enum.map((e) => JSON.stringify(e)).join(', ') });
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      invalid(errs, path, v, `${where} in body should be greater than ${
        s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      invalid(errs, path, v, `${where} in body should be less than ${
        s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
    }
    if (s.multipleOf && v % s.multipleOf !== 0) {
      invalid(errs, path, v, `${where} in body should be a multiple of ${s.multipleOf}`);
    }
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.minLength !== undefined && len < s.minLength) {
      invalid(errs, path, v, `${where} in body should be at least ${s.minLength} chars long`);
    }
    if (s.maxLength !== undefined && len > s.maxLength) {
      errs.push({ field: path, reason: 'FieldValueTooLong',
                  message: `Too long: may not be more than ${s.maxLength} bytes` });
    }
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) {
      invalid(errs, path, v, `${where} in body should match '${s.pattern}'`);
    }
    if (s.format === 'date-time' && Number.isNaN(Date.parse(v))) {
      invalid(errs, path, v, `${where} in body must be of type date-time: ${show(v)}`);
    }
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) {
      invalid(errs, path, v, `${where} in body should have at least ${s.minItems} items`);
    }
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      errs.push({ field: path, reason: 'FieldValueTooMany',
                  message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    }
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'map' || listType === 'set') {
      const keys = s['x-kubernetes-list-map-keys'] || [];
      const seen = new Set();
      v.forEach((item, i) => {
        const id = listType === 'set' ? JSON.stringify(item)
                                       : JSON.stringify(keys.map((k) => item?.[k]));
        if (seen.has(id)) {
          const shown = listType === 'set' ? show(item)
            : `map[string]interface {}{${keys.map((k) => `"${k}":${JSON.stringify(item?.[k])}`)
                .join(', ')}}`;
          errs.push({ field: `${path}[${i}]`, reason: 'FieldValueDuplicate',
                      message: `Duplicate value: ${shown}` });
        }
        seen.add(id);
      });
    }
    if (s.items) v.forEach((item, i) => walk(item, s.items, `${path}[${i}]`, errs));
  }
  if (isObject(v)) {
    for (const r of s.required || []) {
      if (v[r] === undefined) {
        errs.push({ field: join(path, r), reason: 'FieldValueRequired', message: 'Required value' });
      }
    }
    const n = Object.keys(v).length;
    if (s.minProperties !== undefined && n < s.minProperties) {
      invalid(errs, path, v, `${where} in body should have at least ${s.minProperties} properties`);
    }
    if (s.maxProperties !== undefined && n > s.maxProperties) {
      invalid(errs, path, v, `${where} in body should have at most ${s.maxProperties} properties`);
    }
    for (const [k, sub] of Object.entries(s.properties || {})) {
      if (v[k] !== undefined && !(path === '' && k === 'metadata')) {
        walk(v[k], sub, join(path, k), errs);
      }
    }
    if (isObject(s.additionalProperties)) {
      for (const k of Object.keys(v)) {
        if (!(s.properties && k in s.properties)) {
          walk(v[k], s.additionalProperties, join(path, k), errs);
        }
      }
    }
  }
  // Logical junctors: structural schemas only put value validations (required, enum, ...)
  // in them.
  if (s.oneOf) {
    const passing = s.oneOf.filter((sub) => validate(v, sub, path).length === 0).length;
    if (passing !== 1) {
      invalid(errs, path, v, `${where} in body must validate one and only one schema (oneOf)` +
                             (passing === 0 ? '' : `. Found ${passing} valid alternatives`));
    }
  }
  if (s.anyOf && !s.anyOf.some((sub) => validate(v, sub, path).length === 0)) {
    invalid(errs, path, v, `${where} in body must validate at least one schema (anyOf)`);
  }
  for (const sub of s.allOf || []) walk(v, sub, path, errs);
  if (s.not && validate(v, s.not, path).length === 0) {
    invalid(errs, path, v, `${where} in body should not validate the schema (not)`);
  }
}

// Checks the parts of a CRD schema that make it structural (enough to refuse a broken CRD
// the way the apiextensions API does: every node with a type, no types inside junctors).
export function structuralErrors(schema, path = 'spec.validation.openAPIV3Schema') {
  const errs = [];
  const visit = (s, p, inJunctor) => {
    if (!isObject(s)) return;
    if (inJunctor) {
      for (const k of ['type', 'default', 'description', 'nullable', 'additionalProperties',
                       'x-kubernetes-preserve-unknown-fields']) {
        if (k in s) errs.push(`${p}.${k}: Forbidden: must be empty to be structural`);
      }
    } else if (!s.type && !s['x-kubernetes-int-or-string'] &&
               !s['x-kubernetes-preserve-unknown-fields']) {
      errs.push(`${p}.type: Required value: must not be empty for specified object fields`);
    }
    if (s.type === 'object' && s.properties && isObject(s.additionalProperties)) {
      errs.push(`${p}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
    }
    for (const [k, sub] of Object.entries(s.properties || {})) {
      visit(sub, `${p}.properties[${k}]`, inJunctor);
    }
    if (s.items) visit(s.items, `${p}.items`, inJunctor);
    if (isObject(s.additionalProperties)) {
      visit(s.additionalProperties, `${p}.additionalProperties`, inJunctor);
    }
    for (const j of ['oneOf', 'anyOf', 'allOf']) {
      (s[j] || []).forEach((sub, i) => visit(sub, `${p}.${j}[${i}]`, true));
    }
    if (s.not) visit(s.not, `${p}.not`, true);
  };
  visit(schema, path, false);
  // Defaults must themselves validate.
  const checkDefaults = (s, p) => {
    if (!isObject(s)) return;
    if (s.default !== undefined) {
      const d = applyDefaults(clone(s.default), s);
      for (const e of validate(d, s, '')) errs.push(`${p}.default: Invalid value: ${e.field} ${e.message}`);
    }
    for (const [k, sub] of Object.entries(s.properties || {})) checkDefaults(sub, `${p}.properties[${k}]`);
    if (s.items) checkDefaults(s.items, `${p}.items`);
  };
  checkDefaults(schema, path);
  return errs;
}
