-- Trajectories: staff and their absences, the reintegration case with its action plan and
-- timeline, contact moments during absence, statutory deadlines from process templates,
-- and the audit log of every access to case data.
--
-- No column anywhere holds a diagnosis. Free-text columns are short and documented in the
-- API as "no medical information".

-- Exclusion constraints over (uuid =, daterange &&) need btree_gist (trusted since PG 13).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- MARK: Staff

CREATE TABLE employees (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- One deployment serves one employer, so the personnel number is unique in the database.
    personnel_number text NOT NULL CONSTRAINT employees_personnel_number_key UNIQUE
        CONSTRAINT employees_personnel_number_format CHECK (personnel_number ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$'),
    given_name text NOT NULL CONSTRAINT employees_given_name_length CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name text NOT NULL CONSTRAINT employees_family_name_length CHECK (length(family_name) BETWEEN 1 AND 100),
    work_email citext CONSTRAINT employees_work_email_key UNIQUE
        CONSTRAINT employees_work_email_format CHECK (work_email ~ '^[^@\s]+@[^@\s]+$' AND length(work_email) <= 254),
    entity_id uuid NOT NULL CONSTRAINT employees_entity_fk REFERENCES entities (id),
    job_title text CONSTRAINT employees_job_title_length CHECK (length(job_title) BETWEEN 1 AND 200),
    grade text CONSTRAINT employees_grade_length CHECK (length(grade) BETWEEN 1 AND 50),
    weekly_hours double precision NOT NULL
        CONSTRAINT employees_weekly_hours_range CHECK (weekly_hours > 0 AND weekly_hours <= 60),
    manager_id uuid CONSTRAINT employees_manager_fk REFERENCES employees (id),
    active boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_not_own_manager CHECK (manager_id <> id)
);
CREATE INDEX employees_entity_name_idx ON employees (entity_id, family_name, given_name, id);
CREATE INDEX employees_manager_idx ON employees (manager_id) WHERE manager_id IS NOT NULL;
CREATE TRIGGER employees_touch BEFORE UPDATE ON employees FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE absences (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    employee_id uuid NOT NULL CONSTRAINT absences_employee_fk REFERENCES employees (id),
    kind text NOT NULL
        CONSTRAINT absences_kind_known CHECK (kind IN ('illness', 'work_accident', 'occupational_disease', 'other_long_absence')),
    starts_on date NOT NULL,
    expected_end_on date,
    ended_on date,
    -- The current figure; absence_work_capacity keeps its history.
    work_capacity_percent smallint NOT NULL DEFAULT 0
        CONSTRAINT absences_work_capacity_range CHECK (work_capacity_percent BETWEEN 0 AND 100),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT absences_expected_end_after_start CHECK (expected_end_on >= starts_on),
    CONSTRAINT absences_end_after_start CHECK (ended_on >= starts_on),
    -- One employee is never absent twice on the same day; an open absence runs to infinity.
    CONSTRAINT absences_no_overlap EXCLUDE USING gist (
        employee_id WITH =, daterange(starts_on, ended_on, '[]') WITH &&)
);
CREATE TRIGGER absences_touch BEFORE UPDATE ON absences FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Partial resumption: from which day which percentage of the contractual hours is worked.
CREATE TABLE absence_work_capacity (
    absence_id uuid NOT NULL CONSTRAINT absence_work_capacity_absence_fk REFERENCES absences (id) ON DELETE CASCADE,
    effective_from date NOT NULL,
    percent smallint NOT NULL CONSTRAINT absence_work_capacity_percent_range CHECK (percent BETWEEN 0 AND 100),
    recorded_by uuid CONSTRAINT absence_work_capacity_recorded_by_fk REFERENCES users (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (absence_id, effective_from)
);

-- MARK: Process templates (loaded from sql/templates/*.json at start)

CREATE TABLE process_templates (
    id text PRIMARY KEY CONSTRAINT process_templates_id_format CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name text NOT NULL,
    jurisdiction text NOT NULL,
    definition jsonb NOT NULL,
    checksum bytea NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- MARK: Trajectories

-- VK-YYYY-NNNNNN: the counter row of a year is locked by the create that takes a number.
CREATE TABLE trajectory_reference_counters (
    year int PRIMARY KEY CONSTRAINT trajectory_reference_counters_year_range CHECK (year BETWEEN 2000 AND 9999),
    last_sequence int NOT NULL CONSTRAINT trajectory_reference_counters_sequence_range CHECK (last_sequence BETWEEN 0 AND 999999)
);

CREATE TABLE trajectories (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference text NOT NULL CONSTRAINT trajectories_reference_key UNIQUE
        CONSTRAINT trajectories_reference_format CHECK (reference ~ '^VK-[0-9]{4}-[0-9]{6}$'),
    employee_id uuid NOT NULL CONSTRAINT trajectories_employee_fk REFERENCES employees (id),
    -- The employee's entity when the case was opened: what need-to-know scopes by.
    entity_id uuid NOT NULL CONSTRAINT trajectories_entity_fk REFERENCES entities (id),
    absence_id uuid CONSTRAINT trajectories_absence_fk REFERENCES absences (id),
    officer_id uuid NOT NULL CONSTRAINT trajectories_officer_fk REFERENCES users (id),
    physician_id uuid CONSTRAINT trajectories_physician_fk REFERENCES users (id),
    goal text NOT NULL CONSTRAINT trajectories_goal_known CHECK (goal IN (
        'return_own_job', 'adapted_own_job', 'other_job_internal', 'temporary_mobility',
        'redeployment', 'exit_outplacement', 'undetermined')),
    template_id text CONSTRAINT trajectories_template_fk REFERENCES process_templates (id),
    status text NOT NULL DEFAULT 'intake'
        CONSTRAINT trajectories_status_known CHECK (status IN ('intake', 'planning', 'active', 'on_hold', 'closed')),
    blocked_reason text CONSTRAINT trajectories_blocked_reason_length CHECK (length(blocked_reason) BETWEEN 1 AND 500),
    blocked_since timestamptz,
    target_return_on date,
    opened_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    outcome text CONSTRAINT trajectories_outcome_known CHECK (outcome IN (
        'returned_full', 'returned_partial', 'placed_other_job', 'temporary_placement_completed',
        'left_organisation', 'definitively_unfit', 'withdrawn')),
    consent_visible_to_hr boolean NOT NULL DEFAULT false,
    consent_experience_expert boolean NOT NULL DEFAULT false,
    -- The officer's work list reads these; they are recomputed in the transaction that
    -- changes a contact, a preference or the absence (Contacts/ContactSchedule.swift).
    last_contact_at timestamptz,
    contact_due_on date,
    contact_due_reason text CONSTRAINT trajectories_contact_due_reason_known
        CHECK (contact_due_reason IN ('first_contact', 'cadence', 'agreed_date')),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trajectories_blocked_complete CHECK ((blocked_reason IS NULL) = (blocked_since IS NULL)),
    CONSTRAINT trajectories_closed_complete CHECK (
        (status = 'closed') = (closed_at IS NOT NULL) AND (status = 'closed') = (outcome IS NOT NULL)),
    CONSTRAINT trajectories_closed_not_blocked CHECK (status <> 'closed' OR blocked_reason IS NULL),
    CONSTRAINT trajectories_due_complete CHECK ((contact_due_on IS NULL) = (contact_due_reason IS NULL))
);
-- At most one open case per employee, whatever the application does.
CREATE UNIQUE INDEX trajectories_one_open_per_employee ON trajectories (employee_id) WHERE status <> 'closed';
CREATE INDEX trajectories_entity_idx ON trajectories (entity_id, opened_at DESC, id DESC);
CREATE INDEX trajectories_officer_idx ON trajectories (officer_id, opened_at DESC, id DESC);
CREATE INDEX trajectories_physician_idx ON trajectories (physician_id) WHERE physician_id IS NOT NULL;
-- The daily work list: an officer's open cases by the day their next contact is due.
CREATE INDEX trajectories_contact_due_idx ON trajectories (officer_id, contact_due_on, id)
    WHERE status <> 'closed' AND contact_due_on IS NOT NULL;
CREATE INDEX trajectories_absence_idx ON trajectories (absence_id) WHERE absence_id IS NOT NULL;
CREATE TRIGGER trajectories_touch BEFORE UPDATE ON trajectories FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE trajectory_actions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trajectory_id uuid NOT NULL CONSTRAINT trajectory_actions_trajectory_fk REFERENCES trajectories (id),
    title text NOT NULL CONSTRAINT trajectory_actions_title_length CHECK (length(title) BETWEEN 1 AND 200),
    kind text NOT NULL CONSTRAINT trajectory_actions_kind_known CHECK (kind IN (
        'conversation', 'workplace_adaptation', 'training', 'trial_placement', 'assessment', 'other')),
    owner_kind text NOT NULL CONSTRAINT trajectory_actions_owner_kind_known CHECK (owner_kind IN ('user', 'employee', 'manager')),
    owner_user_id uuid CONSTRAINT trajectory_actions_owner_user_fk REFERENCES users (id),
    due_on date,
    done_at timestamptz,
    note text CONSTRAINT trajectory_actions_note_length CHECK (length(note) BETWEEN 1 AND 2000),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT trajectory_actions_owner_complete CHECK ((owner_kind = 'user') = (owner_user_id IS NOT NULL))
);
CREATE INDEX trajectory_actions_trajectory_idx ON trajectory_actions (trajectory_id, created_at, id);
CREATE TRIGGER trajectory_actions_touch BEFORE UPDATE ON trajectory_actions FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The timeline: one row per change, written in the transaction of the change.
CREATE TABLE trajectory_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trajectory_id uuid NOT NULL CONSTRAINT trajectory_events_trajectory_fk REFERENCES trajectories (id),
    type text NOT NULL CONSTRAINT trajectory_events_type_format CHECK (type ~ '^[a-z]+(_[a-z]+)*$'),
    -- NULL: the system did it (the deadline sweep).
    actor_id uuid CONSTRAINT trajectory_events_actor_fk REFERENCES users (id),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb NOT NULL DEFAULT '{}' CONSTRAINT trajectory_events_payload_object CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX trajectory_events_trajectory_idx ON trajectory_events (trajectory_id, id);

-- MARK: Contacts during absence

CREATE TABLE contact_moments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trajectory_id uuid NOT NULL CONSTRAINT contact_moments_trajectory_fk REFERENCES trajectories (id),
    occurred_at timestamptz NOT NULL,
    channel text NOT NULL CONSTRAINT contact_moments_channel_known
        CHECK (channel IN ('phone', 'video', 'visit', 'in_person', 'email', 'letter')),
    initiative text NOT NULL CONSTRAINT contact_moments_initiative_known CHECK (initiative IN ('employer', 'employee')),
    made_by text NOT NULL CONSTRAINT contact_moments_made_by_known
        CHECK (made_by IN ('officer', 'manager', 'colleague', 'physician', 'hr')),
    summary text NOT NULL CONSTRAINT contact_moments_summary_length CHECK (length(summary) BETWEEN 1 AND 2000),
    wellbeing smallint CONSTRAINT contact_moments_wellbeing_range CHECK (wellbeing BETWEEN 1 AND 5),
    next_contact_on date,
    recorded_by uuid NOT NULL CONSTRAINT contact_moments_recorded_by_fk REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_moments_trajectory_idx ON contact_moments (trajectory_id, occurred_at DESC, id DESC);
CREATE TRIGGER contact_moments_touch BEFORE UPDATE ON contact_moments FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The employee's wishes, which override the template's policy where it allows.
CREATE TABLE contact_preferences (
    trajectory_id uuid PRIMARY KEY CONSTRAINT contact_preferences_trajectory_fk REFERENCES trajectories (id),
    channel text CONSTRAINT contact_preferences_channel_known
        CHECK (channel IN ('phone', 'video', 'visit', 'in_person', 'email', 'letter')),
    contact_person text CONSTRAINT contact_preferences_contact_person_known
        CHECK (contact_person IN ('officer', 'manager', 'colleague', 'physician', 'hr')),
    not_before date,
    every_days smallint CONSTRAINT contact_preferences_every_days_range CHECK (every_days BETWEEN 1 AND 365),
    version bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER contact_preferences_touch BEFORE UPDATE ON contact_preferences FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- MARK: Statutory deadlines

-- Dated events a template's milestones count from (absence_start is the absence's start).
CREATE TABLE trajectory_trigger_events (
    trajectory_id uuid NOT NULL CONSTRAINT trajectory_trigger_events_trajectory_fk REFERENCES trajectories (id),
    event text NOT NULL CONSTRAINT trajectory_trigger_events_event_format CHECK (event ~ '^[a-z]+(_[a-z]+)*$'),
    occurred_on date NOT NULL,
    recorded_by uuid CONSTRAINT trajectory_trigger_events_recorded_by_fk REFERENCES users (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trajectory_id, event)
);

CREATE TABLE deadlines (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    trajectory_id uuid NOT NULL CONSTRAINT deadlines_trajectory_fk REFERENCES trajectories (id),
    template_id text NOT NULL CONSTRAINT deadlines_template_fk REFERENCES process_templates (id),
    milestone_code text NOT NULL CONSTRAINT deadlines_milestone_code_format CHECK (milestone_code ~ '^[a-z0-9]+(_[a-z0-9]+)*$'),
    due_on date NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CONSTRAINT deadlines_status_known CHECK (status IN ('pending', 'met', 'missed', 'waived')),
    met_on date,
    resolved_at timestamptz,
    resolved_by uuid CONSTRAINT deadlines_resolved_by_fk REFERENCES users (id),
    note text CONSTRAINT deadlines_note_length CHECK (length(note) BETWEEN 1 AND 2000),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deadlines_one_per_milestone UNIQUE (trajectory_id, milestone_code),
    CONSTRAINT deadlines_met_complete CHECK ((status = 'met') = (met_on IS NOT NULL)),
    CONSTRAINT deadlines_resolved_complete CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX deadlines_trajectory_idx ON deadlines (trajectory_id, due_on, id);
-- The sweep's and the upcoming list's range scan.
CREATE INDEX deadlines_pending_due_idx ON deadlines (due_on, id) WHERE status = 'pending';
CREATE TRIGGER deadlines_touch BEFORE UPDATE ON deadlines FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- MARK: Audit

-- Every read and write of case data, allowed or denied. Append-only: see the grants below
-- and the trigger, which also stops the owner.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_id uuid CONSTRAINT audit_log_actor_fk REFERENCES users (id),
    actor_roles text[] NOT NULL,
    action text NOT NULL CONSTRAINT audit_log_action_known CHECK (action IN ('read', 'list', 'create', 'update', 'delete')),
    resource_type text NOT NULL CONSTRAINT audit_log_resource_type_format CHECK (resource_type ~ '^[a-z]+(_[a-z]+)*$'),
    resource_id uuid,
    trajectory_id uuid,
    request_id text CONSTRAINT audit_log_request_id_length CHECK (length(request_id) <= 200),
    outcome text NOT NULL CONSTRAINT audit_log_outcome_known CHECK (outcome IN ('allowed', 'denied'))
);
CREATE INDEX audit_log_trajectory_idx ON audit_log (trajectory_id, id) WHERE trajectory_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_occurred_idx ON audit_log USING brin (occurred_at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
