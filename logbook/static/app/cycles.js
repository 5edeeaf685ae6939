// Cycles over time on the phone: how long a cycle that has just ended stays beside the current one
// on Home. A copy of logbook/frameworks/history.py (ENDED_SHOWN_DAYS, recently_ended), held equal by
// tests/js/test_pwa_parity.py.

export const ENDED_SHOWN_DAYS = 91;

const dayNumber = (iso) => {
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  return Date.UTC(y, m - 1, d) / 86400000;
};

/** Whether a cycle that ended on `endsOn` (ISO day) is still shown beside the current one on `today` (ISO day). */
export function recentlyEnded(endsOn, today) {
  const end = dayNumber(endsOn);
  const now = dayNumber(today);
  return end < now && now <= end + ENDED_SHOWN_DAYS;
}

/** The cycles Home shows for a registration: the current one and, for a quarter after it ended, the one before. */
export function cyclesOnHome(cycles, today) {
  return (cycles || []).filter((c) => c.which === 'current' || (c.which === 'previous' && recentlyEnded(c.ends_on, today)));
}
