import { pino } from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';

/** Structured JSON logs; human-readable lines when a person is watching the terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json') {
    return pino({ level }, pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level });
}
