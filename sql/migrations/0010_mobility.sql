-- Temporary mobility: the reference catalogues, offers (demand), candidate profiles with
-- functional restrictions (supply), match rounds and placements.
--
-- No column holds a diagnosis: restrictions are functional levels on fixed dimensions, set
-- by an occupational physician. Capacity ("an offer is never over-booked") and "one active
-- placement per person" are enforced here, not only by the application.

-- MARK: Reference data (starter rows in 0011_mobility_catalogue.sql)

CREATE TABLE competencies (
    code text PRIMARY KEY CONSTRAINT competencies_code_format CHECK (code ~ '^[a-z][a-zA-Z0-9]{1,63}$'),
    label_nl text NOT NULL CONSTRAINT competencies_label_nl_length CHECK (length(label_nl) BETWEEN 1 AND 200),
    label_fr text NOT NULL CONSTRAINT competencies_label_fr_length CHECK (length(label_fr) BETWEEN 1 AND 200),
    label_de text NOT NULL CONSTRAINT competencies_label_de_length CHECK (length(label_de) BETWEEN 1 AND 200),
    label_en text NOT NULL CONSTRAINT competencies_label_en_length CHECK (length(label_en) BETWEEN 1 AND 200),
    -- A retired code stays readable on old offers and profiles but cannot be chosen again.
    active boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER competencies_touch BEFORE UPDATE ON competencies FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- What a person is good at, likes doing or finds important: one tag list for all three.
CREATE TABLE talents (
    code text PRIMARY KEY CONSTRAINT talents_code_format CHECK (code ~ '^[a-z][a-zA-Z0-9]{1,63}$'),
    label_nl text NOT NULL CONSTRAINT talents_label_nl_length CHECK (length(label_nl) BETWEEN 1 AND 200),
    label_fr text NOT NULL CONSTRAINT talents_label_fr_length CHECK (length(label_fr) BETWEEN 1 AND 200),
    label_de text NOT NULL CONSTRAINT talents_label_de_length CHECK (length(label_de) BETWEEN 1 AND 200),
    label_en text NOT NULL CONSTRAINT talents_label_en_length CHECK (length(label_en) BETWEEN 1 AND 200),
    active boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER talents_touch BEFORE UPDATE ON talents FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Belgian postcodes by their first two digits, for the travel-time estimate between a
-- candidate's preferred locations and an offer's site (no address of anyone is stored).
CREATE TABLE postal_areas (
    prefix smallint PRIMARY KEY CONSTRAINT postal_areas_prefix_range CHECK (prefix BETWEEN 10 AND 99),
    place text NOT NULL,
    latitude double precision NOT NULL CONSTRAINT postal_areas_latitude_range CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision NOT NULL CONSTRAINT postal_areas_longitude_range CHECK (longitude BETWEEN -180 AND 180)
);

-- The levels a job demands and a restriction allows, on the same dimensions.
CREATE DOMAIN demand_level AS text CONSTRAINT demand_level_known CHECK (VALUE IN ('none', 'low', 'medium', 'high'));

-- MARK: Who may approve offers

-- A right beside the roles: an HR user who may publish another HR user's offer.
ALTER TABLE users ADD COLUMN permissions text[] NOT NULL DEFAULT '{}'
    CONSTRAINT users_permissions_known CHECK (permissions <@ ARRAY['approve_offers']);
ALTER TABLE users ADD CONSTRAINT users_approver_is_hr CHECK (NOT ('approve_offers' = ANY (permissions)) OR 'hr' = ANY (roles));

-- MARK: Offers (demand)

CREATE SEQUENCE offer_reference_seq;

CREATE TABLE offers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reference text NOT NULL CONSTRAINT offers_reference_key UNIQUE
        CONSTRAINT offers_reference_format CHECK (reference ~ '^MO-[0-9]{4}-[0-9]{6}$'),
    host_entity_id uuid NOT NULL CONSTRAINT offers_host_entity_fk REFERENCES entities (id),
    title text NOT NULL CONSTRAINT offers_title_length CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL CONSTRAINT offers_description_length CHECK (length(description) BETWEEN 1 AND 4000),
    site_name text NOT NULL CONSTRAINT offers_site_name_length CHECK (length(site_name) BETWEEN 1 AND 200),
    postcode text NOT NULL CONSTRAINT offers_postcode_format CHECK (postcode ~ '^[1-9][0-9]{3}$'),
    hours_per_week double precision NOT NULL CONSTRAINT offers_hours_range CHECK (hours_per_week > 0 AND hours_per_week <= 60),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    telework_days smallint NOT NULL DEFAULT 0 CONSTRAINT offers_telework_days_range CHECK (telework_days BETWEEN 0 AND 5),
    demand_physical_load demand_level NOT NULL DEFAULT 'none',
    demand_emotional_load demand_level NOT NULL DEFAULT 'none',
    demand_customer_contact demand_level NOT NULL DEFAULT 'none',
    demand_shift_or_night_work demand_level NOT NULL DEFAULT 'none',
    demand_travel demand_level NOT NULL DEFAULT 'none',
    demand_screen_work demand_level NOT NULL DEFAULT 'none',
    adaptations text[] NOT NULL DEFAULT '{}' CONSTRAINT offers_adaptations_known CHECK (adaptations <@ ARRAY[
        'reduced_hours', 'flexible_schedule', 'quiet_workplace', 'gradual_start', 'adapted_equipment']),
    talent_tags text[] NOT NULL DEFAULT '{}' CONSTRAINT offers_talent_tags_count CHECK (cardinality(talent_tags) <= 20),
    grades_accepted text[] NOT NULL DEFAULT '{}' CONSTRAINT offers_grades_count CHECK (cardinality(grades_accepted) <= 20),
    positions smallint NOT NULL CONSTRAINT offers_positions_range CHECK (positions BETWEEN 1 AND 50),
    cost_bearer text NOT NULL CONSTRAINT offers_cost_bearer_known CHECK (cost_bearer IN ('home_organisation', 'host_organisation')),
    -- NULL: every entity may see the offer; otherwise these entities and everything below them.
    visible_to_entity_ids uuid[] CONSTRAINT offers_visible_to_count CHECK (cardinality(visible_to_entity_ids) BETWEEN 1 AND 50),
    status text NOT NULL DEFAULT 'draft'
        CONSTRAINT offers_status_known CHECK (status IN ('draft', 'submitted', 'open', 'filled', 'closed', 'expired')),
    author_id uuid NOT NULL CONSTRAINT offers_author_fk REFERENCES users (id),
    submitted_at timestamptz,
    approved_by uuid CONSTRAINT offers_approved_by_fk REFERENCES users (id),
    published_at timestamptz,
    ended_at timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT offers_end_after_start CHECK (ends_on >= starts_on),
    -- The four-eyes rule: whoever publishes an offer did not write it.
    CONSTRAINT offers_approver_not_author CHECK (approved_by <> author_id),
    CONSTRAINT offers_published_complete CHECK (
        (status IN ('draft', 'submitted')) = (published_at IS NULL) AND (published_at IS NULL) = (approved_by IS NULL))
);
CREATE INDEX offers_host_idx ON offers (host_entity_id, created_at DESC, id DESC);
CREATE INDEX offers_status_idx ON offers (status, created_at DESC, id DESC);
-- The sweep's scan: open offers by start date.
CREATE INDEX offers_open_start_idx ON offers (starts_on, id) WHERE status = 'open';
CREATE TRIGGER offers_touch BEFORE UPDATE ON offers FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE offer_competencies (
    offer_id uuid NOT NULL CONSTRAINT offer_competencies_offer_fk REFERENCES offers (id) ON DELETE CASCADE,
    code text NOT NULL CONSTRAINT offer_competencies_code_fk REFERENCES competencies (code),
    level smallint NOT NULL CONSTRAINT offer_competencies_level_range CHECK (level BETWEEN 1 AND 5),
    weight double precision NOT NULL CONSTRAINT offer_competencies_weight_range CHECK (weight > 0 AND weight <= 10),
    required boolean NOT NULL,
    PRIMARY KEY (offer_id, code)
);

-- MARK: Candidate profiles (supply)

-- One per staff member. Who keeps it and who sees it follows the trajectory (its officer,
-- its consent flag); without a trajectory, HR keeps it when the staff member asked for a move.
CREATE TABLE candidate_profiles (
    employee_id uuid PRIMARY KEY CONSTRAINT candidate_profiles_employee_fk REFERENCES employees (id),
    -- Without a trajectory: the staff member asked for a move themselves (what lets HR see them).
    requested_move boolean NOT NULL DEFAULT false,
    good_at text[] NOT NULL DEFAULT '{}' CONSTRAINT candidate_profiles_good_at_count CHECK (cardinality(good_at) <= 20),
    likes_doing text[] NOT NULL DEFAULT '{}' CONSTRAINT candidate_profiles_likes_count CHECK (cardinality(likes_doing) <= 20),
    finds_important text[] NOT NULL DEFAULT '{}' CONSTRAINT candidate_profiles_important_count CHECK (cardinality(finds_important) <= 20),
    talent_note text CONSTRAINT candidate_profiles_talent_note_length CHECK (length(talent_note) BETWEEN 1 AND 1000),
    preferred_postcodes text[] NOT NULL DEFAULT '{}'
        CONSTRAINT candidate_profiles_postcodes_count CHECK (cardinality(preferred_postcodes) <= 10),
    max_travel_minutes smallint CONSTRAINT candidate_profiles_travel_range CHECK (max_travel_minutes BETWEEN 5 AND 240),
    max_hours_per_week double precision
        CONSTRAINT candidate_profiles_hours_range CHECK (max_hours_per_week > 0 AND max_hours_per_week <= 60),
    available_from date,
    telework_days_wanted smallint CONSTRAINT candidate_profiles_telework_range CHECK (telework_days_wanted BETWEEN 0 AND 5),
    updated_by uuid NOT NULL CONSTRAINT candidate_profiles_updated_by_fk REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER candidate_profiles_touch BEFORE UPDATE ON candidate_profiles FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE candidate_competencies (
    employee_id uuid NOT NULL CONSTRAINT candidate_competencies_profile_fk REFERENCES candidate_profiles (employee_id) ON DELETE CASCADE,
    code text NOT NULL CONSTRAINT candidate_competencies_code_fk REFERENCES competencies (code),
    level smallint NOT NULL CONSTRAINT candidate_competencies_level_range CHECK (level BETWEEN 1 AND 5),
    PRIMARY KEY (employee_id, code)
);

-- Functional restrictions: the highest level of each demand the person may take on; NULL
-- means no restriction on that dimension. Only an occupational physician writes this row;
-- HR never reads it (it sees only whether a job's demand fits).
CREATE TABLE functional_restrictions (
    employee_id uuid PRIMARY KEY CONSTRAINT functional_restrictions_employee_fk REFERENCES employees (id),
    physical_load demand_level,
    emotional_load demand_level,
    customer_contact demand_level,
    shift_or_night_work demand_level,
    travel demand_level,
    screen_work demand_level,
    set_by uuid NOT NULL CONSTRAINT functional_restrictions_set_by_fk REFERENCES users (id),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER functional_restrictions_touch BEFORE UPDATE ON functional_restrictions FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- MARK: Match rounds

CREATE TABLE match_rounds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    requested_by uuid NOT NULL CONSTRAINT match_rounds_requested_by_fk REFERENCES users (id),
    status text NOT NULL DEFAULT 'running'
        CONSTRAINT match_rounds_status_known CHECK (status IN ('running', 'completed', 'failed')),
    minimum_score double precision NOT NULL DEFAULT 0
        CONSTRAINT match_rounds_minimum_score_range CHECK (minimum_score BETWEEN 0 AND 1),
    -- The offers and candidates the round was asked over (empty: all open and consenting).
    offer_ids uuid[] NOT NULL DEFAULT '{}',
    candidate_ids uuid[] NOT NULL DEFAULT '{}',
    progress double precision NOT NULL DEFAULT 0 CONSTRAINT match_rounds_progress_range CHECK (progress BETWEEN 0 AND 1),
    phase text NOT NULL DEFAULT 'reading'
        CONSTRAINT match_rounds_phase_known CHECK (phase IN ('reading', 'evaluating', 'solving', 'storing', 'done')),
    offer_count int,
    candidate_count int,
    feasible_pair_count bigint,
    -- Totals in millionths of a score point: the optimum and what greedy would have given.
    total_score_micros bigint,
    greedy_total_micros bigint,
    timings jsonb,
    accepted_at timestamptz,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT match_rounds_completed_complete CHECK ((status = 'completed') = (total_score_micros IS NOT NULL))
);
CREATE INDEX match_rounds_requested_idx ON match_rounds (requested_by, created_at DESC, id DESC);
CREATE TRIGGER match_rounds_touch BEFORE UPDATE ON match_rounds FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The pairs of a round: the optimum's (in_optimum) and greedy's, each with its explanation.
CREATE TABLE match_round_pairs (
    match_round_id uuid NOT NULL CONSTRAINT match_round_pairs_round_fk REFERENCES match_rounds (id) ON DELETE CASCADE,
    offer_id uuid NOT NULL CONSTRAINT match_round_pairs_offer_fk REFERENCES offers (id),
    employee_id uuid NOT NULL CONSTRAINT match_round_pairs_employee_fk REFERENCES employees (id),
    score_micros int NOT NULL CONSTRAINT match_round_pairs_score_range CHECK (score_micros BETWEEN 0 AND 1000000),
    in_optimum boolean NOT NULL,
    in_greedy boolean NOT NULL,
    explanation jsonb NOT NULL,
    placement_id uuid,
    PRIMARY KEY (match_round_id, offer_id, employee_id),
    CONSTRAINT match_round_pairs_in_a_solution CHECK (in_optimum OR in_greedy)
);

-- MARK: Placements

CREATE TABLE placements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    offer_id uuid NOT NULL CONSTRAINT placements_offer_fk REFERENCES offers (id),
    employee_id uuid NOT NULL CONSTRAINT placements_employee_fk REFERENCES employees (id),
    -- The case the placement is part of; NULL for a staff member without a trajectory.
    trajectory_id uuid CONSTRAINT placements_trajectory_fk REFERENCES trajectories (id),
    home_entity_id uuid NOT NULL CONSTRAINT placements_home_entity_fk REFERENCES entities (id),
    status text NOT NULL DEFAULT 'proposed' CONSTRAINT placements_status_known CHECK (status IN (
        'proposed', 'candidate_accepted', 'candidate_declined', 'host_accepted', 'host_declined',
        'released', 'started', 'completed', 'ended_early')),
    proposed_by uuid NOT NULL CONSTRAINT placements_proposed_by_fk REFERENCES users (id),
    match_round_id uuid CONSTRAINT placements_match_round_fk REFERENCES match_rounds (id),
    score_micros int CONSTRAINT placements_score_range CHECK (score_micros BETWEEN 0 AND 1000000),
    -- The agreement, set when the host accepts: dates, hours, who pays, adaptations agreed.
    agreed_starts_on date,
    agreed_ends_on date,
    agreed_hours_per_week double precision CONSTRAINT placements_agreed_hours_range
        CHECK (agreed_hours_per_week > 0 AND agreed_hours_per_week <= 60),
    agreed_cost_bearer text CONSTRAINT placements_agreed_cost_bearer_known
        CHECK (agreed_cost_bearer IN ('home_organisation', 'host_organisation')),
    agreed_adaptations text[] CONSTRAINT placements_agreed_adaptations_known CHECK (agreed_adaptations <@ ARRAY[
        'reduced_hours', 'flexible_schedule', 'quiet_workplace', 'gradual_start', 'adapted_equipment']),
    released_by_role text CONSTRAINT placements_released_by_known CHECK (released_by_role IN ('home_manager', 'home_hr')),
    started_on date,
    ended_on date,
    decline_reason text CONSTRAINT placements_decline_reason_length CHECK (length(decline_reason) BETWEEN 1 AND 500),
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT placements_agreement_complete CHECK (
        (agreed_starts_on IS NULL) = (agreed_ends_on IS NULL) AND (agreed_starts_on IS NULL) = (agreed_hours_per_week IS NULL)
        AND (agreed_starts_on IS NULL) = (agreed_cost_bearer IS NULL)),
    CONSTRAINT placements_agreed_after_host CHECK (
        status IN ('proposed', 'candidate_accepted', 'candidate_declined', 'host_declined') OR agreed_starts_on IS NOT NULL),
    CONSTRAINT placements_agreed_end_after_start CHECK (agreed_ends_on >= agreed_starts_on),
    CONSTRAINT placements_released_complete CHECK (
        (status IN ('released', 'started', 'completed', 'ended_early')) = (released_by_role IS NOT NULL)),
    CONSTRAINT placements_started_complete CHECK ((status IN ('started', 'completed', 'ended_early')) = (started_on IS NOT NULL)),
    CONSTRAINT placements_ended_complete CHECK ((status IN ('completed', 'ended_early')) = (ended_on IS NOT NULL))
);
CREATE INDEX placements_offer_idx ON placements (offer_id, created_at, id);
CREATE INDEX placements_employee_idx ON placements (employee_id, created_at, id);
CREATE INDEX placements_trajectory_idx ON placements (trajectory_id) WHERE trajectory_id IS NOT NULL;
-- One proposal per person and offer at a time (an accepted match round replayed adds none).
CREATE UNIQUE INDEX placements_one_open_per_pair ON placements (offer_id, employee_id)
    WHERE status IN ('proposed', 'candidate_accepted', 'host_accepted', 'released', 'started');
-- A person has at most one active placement: from the host's acceptance to its end.
CREATE UNIQUE INDEX placements_one_active_per_employee ON placements (employee_id)
    WHERE status IN ('host_accepted', 'released', 'started');
CREATE TRIGGER placements_touch BEFORE UPDATE ON placements FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Never over-booked: a placement takes one of the offer's positions when the host accepts it
-- and keeps it to the end. The offer's row is locked first, so concurrent acceptances from
-- any number of server instances queue on it, and each count (a fresh snapshot per statement
-- in this VOLATILE function) sees the ones committed before it.
CREATE FUNCTION placements_within_positions() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    available smallint;
    taken int;
BEGIN
    IF NEW.status NOT IN ('host_accepted', 'released', 'started', 'completed', 'ended_early') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status IN ('host_accepted', 'released', 'started', 'completed', 'ended_early') THEN
        RETURN NEW;
    END IF;
    SELECT positions INTO available FROM offers WHERE id = NEW.offer_id FOR UPDATE;
    SELECT count(*) INTO taken FROM placements
        WHERE offer_id = NEW.offer_id AND id <> NEW.id
          AND status IN ('host_accepted', 'released', 'started', 'completed', 'ended_early');
    IF taken >= available THEN
        RAISE EXCEPTION 'offer % has no position left', NEW.offer_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'placements_within_offer_positions', TABLE = 'placements';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER placements_within_positions BEFORE INSERT OR UPDATE OF status ON placements
    FOR EACH ROW EXECUTE FUNCTION placements_within_positions();

-- How it went, once by the officer and once by the host, at the end.
CREATE TABLE placement_evaluations (
    placement_id uuid NOT NULL CONSTRAINT placement_evaluations_placement_fk REFERENCES placements (id),
    side text NOT NULL CONSTRAINT placement_evaluations_side_known CHECK (side IN ('officer', 'host')),
    went smallint NOT NULL CONSTRAINT placement_evaluations_went_range CHECK (went BETWEEN 1 AND 5),
    host_would_continue boolean,
    gave_energy smallint CONSTRAINT placement_evaluations_energy_range CHECK (gave_energy BETWEEN 1 AND 5),
    helped_return boolean,
    note text CONSTRAINT placement_evaluations_note_length CHECK (length(note) BETWEEN 1 AND 2000),
    evaluated_by uuid NOT NULL CONSTRAINT placement_evaluations_by_fk REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (placement_id, side)
);
