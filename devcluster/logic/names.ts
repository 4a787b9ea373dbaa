// Name and label validation with kube-apiserver's exact wording (k8s.io/apimachinery validation).
import { fieldInvalid, fieldTooLong, type FieldError } from '../api/errors.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Which rule a kind applies to metadata.name. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path-segment';

/** Returns human messages ("a lowercase RFC 1123 ...") for an invalid name, or [] when valid. */
export function nameProblems(name: string, rule: NameRule): string[] {
  switch (rule) {
    case 'label':
      return [
        ...(name.length > 63 ? ['must be no more than 63 characters'] : []),
        ...(DNS1123_LABEL.test(name)
          ? []
          : [
              "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must " +
                "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for " +
                "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ]),
      ];
    case 'dns1035':
      return [
        ...(name.length > 63 ? ['must be no more than 63 characters'] : []),
        ...(DNS1035_LABEL.test(name)
          ? []
          : [
              "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an " +
                "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', " +
                "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ]),
      ];
    case 'path-segment': {
      if (name === '.' || name === '..') return [`may not be '${name}'`];
      const bad = ['/', '%'].find((c) => name.includes(c));
      return bad ? [`may not contain '${bad}'`] : [];
    }
    default:
      return [
        ...(name.length > 253 ? ['must be no more than 253 characters'] : []),
        ...(DNS1123_SUBDOMAIN.test(name)
          ? []
          : [
              "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
                "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
                "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ]),
      ];
  }
}

export function validateName(field: string, name: string, rule: NameRule): FieldError[] {
  const problems = nameProblems(name, rule);
  return problems.length ? [fieldInvalid(field, name, problems.join(', '))] : [];
}

/** A label/annotation key: `[prefix/]name`, prefix a DNS subdomain, name up to 63 chars. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " +
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. " +
        "'example.com/MyName')",
    ];
  }
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['', parts[0]!];
  const out: string[] = [];
  if (parts.length === 2) {
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else out.push(...nameProblems(prefix, 'subdomain').map((p) => `prefix part ${p}`));
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else {
    if (name.length > 63) out.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME_PART.test(name)) {
      out.push(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
          "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      );
    }
  }
  return out;
}

export function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    out.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex " +
        "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return out;
}

export function validateLabels(field: string, labels: unknown): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels))
    return [fieldInvalid(field, labels, 'must be a map of string keys to string values')];
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    const keyProblems = qualifiedNameProblems(key);
    if (keyProblems.length) out.push(fieldInvalid(field, key, keyProblems.join(', ')));
    if (typeof value !== 'string') out.push(fieldInvalid(`${field}.${key}`, value, 'must be a string'));
    else {
      const valueProblems = labelValueProblems(value);
      if (valueProblems.length) out.push(fieldInvalid(`${field}`, value, valueProblems.join(', ')));
    }
  }
  return out;
}

const ANNOTATIONS_MAX_BYTES = 256 * 1024;

export function validateAnnotations(field: string, annotations: unknown): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations))
    return [fieldInvalid(field, annotations, 'must be a map of string keys to string values')];
  const out: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    const keyProblems = qualifiedNameProblems(key.toLowerCase());
    if (keyProblems.length) out.push(fieldInvalid(field, key, keyProblems.join(', ')));
    if (typeof value !== 'string') out.push(fieldInvalid(`${field}.${key}`, value, 'must be a string'));
    size += key.length + (typeof value === 'string' ? value.length : 0);
  }
  if (size > ANNOTATIONS_MAX_BYTES)
    out.push({
      type: 'FieldValueTooLong',
      field,
      detail: `Too long: must have at most ${ANNOTATIONS_MAX_BYTES} bytes`,
    });
  return out;
}

/** ConfigMap and Secret keys. */
export function validateConfigKey(field: string, key: string): FieldError[] {
  if (key.length > 253) return [fieldTooLong(field, 253)];
  if (!CONFIG_KEY.test(key) || key === '.' || key === '..' || key.startsWith('..')) {
    return [
      fieldInvalid(
        field,
        key,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " +
          "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ),
    ];
  }
  return [];
}
