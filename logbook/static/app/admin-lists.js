// The phone's copies of the server's account lists (logbook/accounts/models.py): service areas,
// regulators and app roles, with the labels the admin screens show. tests/js/test_pwa_parity.py holds
// the keys equal to the server's lists. Pure data: no DOM, so Node can read it.

export const SERVICE_AREA_LABELS = {
  education: 'Education',
  early_years: 'Early years',
  early_help: 'Early help',
  send: 'SEND',
  social_care: 'Social care',
  health: 'Health',
  business_support: 'Business support',
  other: 'Other',
};

export const REGULATOR_LABELS = {
  HCPC: 'HCPC',
  SWE: 'Social Work England',
  NMC: 'NMC',
  TEACHERS: 'Teachers (TRA)',
  GMC: 'GMC',
  NONE: 'Not registered',
  OTHER: 'Other',
};

export const ROLE_LABELS = {
  practitioner: 'Practitioner',
  supervisor: 'Supervisor',
  team_manager: 'Team manager',
  org_admin: 'Org admin',
};
