/** Times to the second, in words relative to now and as an absolute local time. */

/** "in 42s", "in 3m 5s", "in 2h 4m", "5m ago": the distance from `now` to `at`. */
export function formatRelative(at: number, now: number): string {
  const delta = at - now;
  const s = Math.round(Math.abs(delta) / 1000);
  let text: string;
  if (s < 1) return delta >= 0 ? 'now' : 'just now';
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}m ${s % 60}s`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  else text = `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** "2026-12-01 14:05:00": local date and time to the second. */
export function formatDateTime(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
