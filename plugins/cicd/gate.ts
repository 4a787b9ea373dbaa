// step.gate (upstream's cicd plugin, module/pipeline_step_gate.go): an approval gate that reports
// whether the pipeline may go on, as `gate_result` {passed, type, reason, ...}. It never stops the
// pipeline itself: a following conditional step routes on `gate_result.passed`, as upstream.
// - automated: every `auto_approve_conditions` entry "path == value" holds (the path is read like a
//   template's `.path`: the current data, `steps.X.y`, ...; values compare as text);
// - manual: never passes here; reports the approvers and timeout for a person to act on;
// - scheduled: passes inside `schedule` {weekdays, start_hour, end_hour} (local time; an end before
//   the start wraps past midnight), or always without a schedule.
import {
  ConfigValueError,
  formatValue,
  lookupPath,
  type ConfigMap,
  type PipelineContext,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, formatGoDuration } from '../support/index.ts';

const GATE_TYPES = ['manual', 'automated', 'scheduled'] as const;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export const gateSchema: TypeSchema = {
  description: 'Approval gate: automated conditions, a manual approval, or a time window',
  configFields: [
    { key: 'type', type: 'select', required: true, options: [...GATE_TYPES] },
    { key: 'approvers', type: 'array', description: 'manual: who may approve' },
    { key: 'timeout', type: 'duration', default: '24h', description: 'manual: how long approval may take' },
    { key: 'auto_approve_conditions', type: 'array', description: 'automated: "path == value" entries' },
    { key: 'schedule', type: 'map', description: 'scheduled: {weekdays: [mon, ...], start_hour, end_hour}' },
  ],
  outputs: [{ key: 'gate_result', type: 'map', description: '{passed, type, reason, approval_required, ...}' }],
};

interface Window {
  weekdays: number[];
  startHour: number;
  endHour: number;
}

export const createGateStep: StepFactory = (spec) => {
  const cfg = new ConfigReader(spec.config);
  const type = cfg.requiredString('type', `type: ${GATE_TYPES.join(' | ')}`);
  if (!(GATE_TYPES as readonly string[]).includes(type))
    throw new ConfigValueError(`"type" must be one of: ${GATE_TYPES.join(', ')} (got "${type}")`, { path: ['type'] });
  const timeoutMs = cfg.duration('timeout', 24 * 3600_000)!;
  const approvers = cfg.stringList('approvers');
  const conditions = cfg.stringList('auto_approve_conditions').map((c, i) => parseCondition(c, i));
  const window = parseWindow(cfg.map('schedule'));
  const evaluate = (pc: PipelineContext, now: Date): ConfigMap => {
    if (type === 'automated') {
      const failed = conditions.find((c) => !c.holds(pc));
      return failed
        ? { passed: false, type, reason: `condition not met: ${failed.text}` }
        : { passed: true, type, reason: 'all conditions met' };
    }
    if (type === 'manual')
      return {
        passed: false,
        type,
        reason: 'awaiting manual approval',
        approval_required: true,
        approvers,
        timeout: formatGoDuration(timeoutMs),
      };
    if (!window) return { passed: true, type, reason: 'no schedule window configured, passing by default' };
    const inWindow = isInWindow(window, now);
    return {
      passed: inWindow,
      type,
      reason: inWindow
        ? 'current time is within the scheduled window'
        : `current time ${now.toISOString()} is outside the scheduled window`,
    };
  };
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      return { output: { gate_result: evaluate(pc, new Date()) } };
    },
  };
};

function parseCondition(text: string, index: number): { text: string; holds(pc: PipelineContext): boolean } {
  const at = text.indexOf('==');
  if (at === -1)
    throw new ConfigValueError(`auto_approve_conditions[${index}] "${text}" is not "path == value"`, {
      path: ['auto_approve_conditions', index],
      hint: 'e.g. "steps.tests.passed == true"',
    });
  const path = text.slice(0, at).trim();
  const expected = text.slice(at + 2).trim();
  return {
    text,
    holds(pc) {
      const value = lookupPath(pc, path);
      return value !== undefined && value !== null && formatValue(value) === expected;
    },
  };
}

function parseWindow(schedule: ConfigMap | undefined): Window | undefined {
  if (!schedule) return undefined;
  const cfg = new ConfigReader(schedule);
  const weekdays = cfg.stringList('weekdays').map((name, i) => {
    const day = WEEKDAYS.findIndex((d) => d === name.toLowerCase() || d.slice(0, 3) === name.toLowerCase());
    if (day === -1)
      throw new ConfigValueError(`schedule.weekdays[${i}] "${name}" is not a weekday`, {
        path: ['schedule', 'weekdays', i],
        hint: 'use monday..sunday or mon..sun',
      });
    return day;
  });
  const hour = (key: string) => {
    const h = cfg.number(key, 0)!;
    if (!Number.isInteger(h) || h < 0 || h > 24)
      throw new ConfigValueError(`schedule.${key} must be an hour from 0 to 24`, { path: ['schedule', key] });
    return h;
  };
  return { weekdays, startHour: hour('start_hour'), endHour: hour('end_hour') };
}

export function isInWindow(w: Window, t: Date): boolean {
  if (w.weekdays.length > 0 && !w.weekdays.includes(t.getDay())) return false;
  const h = t.getHours();
  return w.startHour <= w.endHour ? h >= w.startHour && h < w.endHour : h >= w.startHour || h < w.endHour;
}
