// Entry kinds, their labels and the kind-specific details the server requires (entries/schemas.py).

export const KIND_LABELS = {
  study_day: 'Study day',
  course: 'Course',
  bite_size_workshop: 'Bite-size workshop',
  team_study_day: 'Team study day',
  supervision: 'Supervision session',
  reading: 'Reading / self-directed learning',
  reflective_learning_set: 'Reflective learning set',
  conference: 'Conference',
  shadowing: 'Shadowing',
  peer_reflection: 'Peer reflection',
  practice_feedback: 'Practice-related feedback',
  appraisal: 'Appraisal',
  reflective_account: 'Reflective account',
  reflective_discussion: 'Reflective discussion',
  practice_hours: 'Practice hours',
  other: 'Other',
};

export const STATUS_LABELS = {
  draft: 'Draft', recorded: 'Recorded', submitted: 'Awaiting sign-off', signed_off: 'Signed off', returned: 'Returned',
};

/** The bodies a person may be registered with (the server's accounts/models.py REGULATORS, in order). */
export const REGULATOR_LABELS = {
  HCPC: 'HCPC (Health and Care Professions Council)',
  SWE: 'Social Work England',
  NMC: 'NMC (Nursing and Midwifery Council)',
  TEACHERS: 'Teachers’ Standards (teaching)',
  GMC: 'GMC (General Medical Council)',
  NONE: 'Not registered',
  OTHER: 'Another body',
};

export const VISIBILITY_LABELS = {
  private: 'Only me', supervisors: 'Me and my supervisors', organisation: 'My organisation (no narrative text)',
};

export const WAYS_OF_KNOWING = {
  propositional: 'Propositional (theory, research)',
  experiential: 'Experiential (doing, being there)',
  practical: 'Practical (skills)',
  presentational: 'Presentational (stories, images)',
};

export const COMMON_CORE = {
  1: 'Effective communication and engagement',
  2: 'Child and young person development',
  3: 'Safeguarding and promoting welfare',
  4: 'Supporting transitions',
  5: 'Multi-agency and integrated working',
  6: 'Sharing information',
};

// Details each kind must have; shown on the quick-log screen as soon as the kind is chosen.
export const REQUIRED_DETAILS = {
  supervision: [{ name: 'format', label: 'Format', options: { individual: 'Individual', group: 'Group', peer: 'Peer' } }],
  appraisal: [{ name: 'reviewer_name', label: 'Reviewer' }],
  reflective_learning_set: [{ name: 'set_name', label: 'Learning set' }],
  shadowing: [{ name: 'profession_shadowed', label: 'Profession shadowed' }],
  reading: [{ name: 'source', label: 'What you read or used' }],
  peer_reflection: [{ name: 'peer_name', label: 'Peer’s name' }, { name: 'peer_role', label: 'Peer’s role' }],
  practice_feedback: [
    { name: 'source', label: 'Feedback from', options: { child_or_young_person: 'Child or young person', parent_carer: 'Parent or carer', colleague: 'Colleague', manager: 'Manager', other: 'Other' } },
    { name: 'summary', label: 'What the feedback said', long: true },
  ],
  reflective_account: [
    { name: 'nature_of_activity', label: 'Nature of the CPD activity', long: true },
    { name: 'what_did_you_learn', label: 'What did you learn?', long: true },
    { name: 'how_did_you_change_or_improve', label: 'How did you change or improve your practice?', long: true },
  ],
  reflective_discussion: [{ name: 'partner_name', label: 'Partner’s name' }, { name: 'partner_nmc_pin', label: 'Partner’s NMC PIN' }],
  practice_hours: [
    { name: 'registration', label: 'Registration', options: { nurse: 'Nurse', midwife: 'Midwife', nursing_associate: 'Nursing associate', scphn: 'SCPHN' } },
    { name: 'setting', label: 'Setting' },
  ],
};

// Built-in reflection prompts, used until the server's templates have been fetched once.
export const FALLBACK_TEMPLATES = {
  templates: {
    rolfe: {
      name: 'What? So what? Now what?',
      prompts: [
        { key: 'what', label: 'What?', hint: 'What happened? What did you do, see or learn?' },
        { key: 'so_what', label: 'So what?', hint: 'Why does it matter for your practice and for children and families?' },
        { key: 'now_what', label: 'Now what?', hint: 'What will you do differently? What further learning do you need?' },
      ],
    },
  },
  default_for_kind: {},
};

export function kindLabel(kind) { return KIND_LABELS[kind] || kind || 'Entry'; }
