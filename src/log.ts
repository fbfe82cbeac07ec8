/**
 * The process logger. Every place a secret could travel through a log record is redacted
 * here, once: API credentials in request headers, CHAP secrets and passwords in any
 * object that gets logged.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'peerSecret',
  '*.peerSecret',
  'body',
  '*.body',
  'iscsi_target_auth_secret',
  '*.iscsi_target_auth_secret',
  'iscsi_target_auth_peersecret',
  '*.iscsi_target_auth_peersecret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { name: 'sanbox' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
