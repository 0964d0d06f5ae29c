/** The schedule routes, documented from core's shapes. */
import { ScheduleBody, ScheduleItem, ScheduleListResponse, ScheduleNameParams, ScheduleTriggerResponse } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const scheduleSchemas = {
  put: route({ summary: 'Create or change a schedule', tag: 'schedules', params: ScheduleNameParams, body: ScheduleBody, ok: { 200: ScheduleItem, 201: ScheduleItem }, errors: [404, 413] }),
  list: route({ summary: 'Every schedule', tag: 'schedules', ok: { 200: ScheduleListResponse } }),
  get: route({ summary: 'A schedule with its next fire time and last runs', tag: 'schedules', params: ScheduleNameParams, ok: { 200: ScheduleItem }, errors: [404] }),
  delete: route({ summary: 'Delete a schedule', tag: 'schedules', params: ScheduleNameParams, ok: { 204: { description: 'Deleted' } }, errors: [404] }),
  trigger: route({ summary: 'Fire a schedule now', tag: 'schedules', params: ScheduleNameParams, ok: { 202: ScheduleTriggerResponse }, errors: [404] }),
};
