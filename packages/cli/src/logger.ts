import { pino } from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';

/** Whether a person is watching the terminal (and LOG_FORMAT does not ask for JSON). */
export const prettyLogs = (): boolean => Boolean(process.stdout.isTTY) && process.env.LOG_FORMAT !== 'json';

/** Structured JSON logs; human-readable lines when a person is watching the terminal. */
export function createLogger(level: string, human: boolean = prettyLogs()): Logger {
  if (human) {
    return pino({ level }, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level });
}
