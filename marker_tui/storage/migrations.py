"""The database schema, as an ordered list of migrations.

The schema version of a file is ``PRAGMA user_version``: the number of
migrations applied to it. ``upgrade(db)`` applies the missing ones in order, each
in its own ``BEGIN IMMEDIATE`` transaction together with the version bump (so
a crash leaves the file at a whole version, and two processes opening a new file
at once do not both migrate it). A file whose version is higher than
``len(MIGRATIONS)`` was written by a newer marker-tui and is refused.
``schema_migrations`` keeps a readable record of what ran when.

Adding a migration (marking, IQA, ...)
--------------------------------------
1. Write a function taking the :class:`~marker_tui.storage.database.Database`
   and running its DDL/DML with ``db.execute(...)`` (it is already inside a
   transaction: do not BEGIN/COMMIT)::

       def m0002_marking(db: Database) -> None:
           db.execute("CREATE TABLE marks (...)")

2. Append it to ``MIGRATIONS``. Never edit, remove or reorder one that has
   shipped: centres' databases already ran it.
3. Add a test that opens a database made by the previous version and checks
   the upgrade keeps its data (``tests/test_storage.py`` shows how).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marker_tui.storage.database import Database

Migration = Callable[["Database"], None]

# Frozen copy for the first migration's CHECK constraint: a migration must not change when
# domain/roles.py does (a new role needs its own migration).
ROLES = ("invigilator", "marker", "iqa", "admin")


def m0001_sittings(db: Database) -> None:
    """Staff, candidates, papers, sittings, scripts, answers, pauses, extensions, audit log."""
    roles = ", ".join(f"'{r}'" for r in ROLES)
    statements = [
        # --- people -----------------------------------------------------
        """CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
            pin_hash TEXT NOT NULL,      -- hex scrypt digest; the PIN itself is never stored
            pin_salt TEXT NOT NULL,      -- hex, 16 random bytes per PIN
            pin_params TEXT NOT NULL,    -- e.g. scrypt:n=16384,r=8,p=1 (so the cost can rise later)
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL
        )""",
        f"""CREATE TABLE staff_roles (
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            role TEXT NOT NULL CHECK (role IN ({roles})),
            PRIMARY KEY (staff_id, role)
        ) WITHOUT ROWID""",
        """CREATE TABLE candidates (
            id INTEGER PRIMARY KEY,
            candidate_number TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL CHECK (length(trim(name)) > 0),
            extra_time_percent INTEGER NOT NULL DEFAULT 0
                CHECK (extra_time_percent BETWEEN 0 AND 400),
            access_arrangements TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # --- papers: a changed paper is a new row; scripts keep their row ---
        """CREATE TABLE papers (
            id INTEGER PRIMARY KEY,
            qualification TEXT NOT NULL,
            unit TEXT NOT NULL,
            version TEXT NOT NULL,
            title TEXT,
            time_allowance_minutes INTEGER NOT NULL CHECK (time_allowance_minutes > 0),
            content_hash TEXT NOT NULL UNIQUE,  -- sha256 of paper_json
            paper_json TEXT NOT NULL,           -- the QuestionPaper, allowance resolved
            source TEXT,
            loaded_at TEXT NOT NULL
        )""",
        "CREATE INDEX papers_by_unit ON papers (qualification, unit, id)",
        """CREATE TABLE mark_schemes (
            id INTEGER PRIMARY KEY,
            paper_id INTEGER NOT NULL REFERENCES papers(id),
            content_hash TEXT NOT NULL,
            mark_scheme_json TEXT NOT NULL,
            source TEXT,
            loaded_at TEXT NOT NULL,
            UNIQUE (paper_id, content_hash)
        )""",
        # --- sittings and scripts -----------------------------------------
        """CREATE TABLE sittings (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE COLLATE NOCASE,
            paper_id INTEGER NOT NULL REFERENCES papers(id),
            state TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (state IN ('scheduled', 'open', 'running', 'ended')),
            scheduled_start TEXT,
            opened_at TEXT,
            started_at TEXT,
            ended_at TEXT,
            end_reason TEXT,
            created_by INTEGER NOT NULL REFERENCES staff(id),
            created_at TEXT NOT NULL
        )""",
        # One row per candidate per sitting: the enrolment *is* the script.
        """CREATE TABLE scripts (
            id INTEGER PRIMARY KEY,
            sitting_id INTEGER NOT NULL REFERENCES sittings(id),
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            script_number TEXT NOT NULL,          -- anonymous, for blind marking
            extra_time_percent INTEGER NOT NULL,  -- copied at enrolment, see services.candidates
            enrolled_at TEXT NOT NULL,
            enrolled_by INTEGER REFERENCES staff(id),
            logged_in_at TEXT,                    -- first login
            last_login_at TEXT,
            started_at TEXT,                      -- this candidate's own clock start
            submitted_at TEXT,
            finish TEXT CHECK (finish IN ('submitted', 'time up', 'ended', 'absent')),
            submitted_reason TEXT,
            current_question TEXT,
            UNIQUE (sitting_id, candidate_id),
            UNIQUE (sitting_id, script_number),
            CHECK ((finish IS NULL) = (submitted_at IS NULL))
        )""",
        "CREATE INDEX scripts_by_candidate ON scripts (candidate_id)",
        """CREATE TABLE answers (
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            text TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version > 0),
            updated_at TEXT NOT NULL,
            PRIMARY KEY (script_id, question_id)
        )""",
        """CREATE TABLE answer_versions (
            id INTEGER PRIMARY KEY,
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            UNIQUE (script_id, question_id, version)
        )""",
        """CREATE TABLE flags (
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            flagged_at TEXT NOT NULL,
            PRIMARY KEY (script_id, question_id)
        ) WITHOUT ROWID""",
        # script_id NULL = the whole room.
        """CREATE TABLE pauses (
            id INTEGER PRIMARY KEY,
            sitting_id INTEGER NOT NULL REFERENCES sittings(id),
            script_id INTEGER REFERENCES scripts(id),
            started_at TEXT NOT NULL,
            ended_at TEXT,
            reason TEXT NOT NULL,
            resume_reason TEXT,
            started_by INTEGER REFERENCES staff(id),
            ended_by INTEGER REFERENCES staff(id),
            CHECK (ended_at IS NULL OR ended_at >= started_at)
        )""",
        # At most one open pause for the room, and one per candidate.
        """CREATE UNIQUE INDEX pauses_one_open
            ON pauses (sitting_id, coalesce(script_id, 0)) WHERE ended_at IS NULL""",
        """CREATE TABLE extensions (
            id INTEGER PRIMARY KEY,
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            minutes INTEGER NOT NULL CHECK (minutes > 0),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            granted_by INTEGER NOT NULL REFERENCES staff(id),
            granted_at TEXT NOT NULL
        )""",
        "CREATE INDEX extensions_by_script ON extensions (script_id)",
        # --- the audit trail ----------------------------------------------
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            sitting_id INTEGER,
            script_id INTEGER,
            candidate_number TEXT,
            details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
        )""",
        "CREATE INDEX audit_by_sitting ON audit_log (sitting_id, id)",
    ]
    # Append-only, enforced by the database itself, not by good intentions.
    for table in ("audit_log", "answer_versions"):
        for event in ("UPDATE", "DELETE"):
            statements.append(
                f"""CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be changed or deleted'); END"""
            )
    # A submitted script is immutable, whatever code path tries to write it.
    for event in ("INSERT", "UPDATE"):
        statements.append(
            f"""CREATE TRIGGER answers_frozen_after_submission_{event.lower()}
            BEFORE {event} ON answers
            WHEN (SELECT submitted_at FROM scripts WHERE id = NEW.script_id) IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'this script has been submitted: its answers cannot change'); END"""
        )
    for statement in statements:
        db.execute(statement)


def m0002_marking(db: Database) -> None:
    """Marks (current + append-only versions), claims and completion, drafts, comment bank, blind setting.

    Totals, results and "who holds a script" as shown are never stored: they are
    derived from these rows every time (``services/marking.py``).
    """
    statements = [
        # The current mark for each question of each script. `version` counts the
        # saves of this mark (1, 2, ...): a save that names an older version than
        # this row holds is refused as stale, so no one overwrites a change unseen.
        """CREATE TABLE marks (
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            marks_awarded INTEGER NOT NULL CHECK (typeof(marks_awarded) = 'integer' AND marks_awarded >= 0),
            credited_points TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(credited_points)),
            comment TEXT,
            marked_by INTEGER NOT NULL REFERENCES staff(id),
            marked_at TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'marker' CHECK (role IN ('marker', 'iqa', 'import')),
            version INTEGER NOT NULL CHECK (version > 0),
            PRIMARY KEY (script_id, question_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX marks_by_marker ON marks (marked_by)",
        # Every saved value of every mark, oldest first (append-only, like the audit log).
        """CREATE TABLE mark_versions (
            id INTEGER PRIMARY KEY,
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            marks_awarded INTEGER NOT NULL,
            credited_points TEXT NOT NULL CHECK (json_valid(credited_points)),
            comment TEXT,
            marked_by INTEGER NOT NULL REFERENCES staff(id),
            marked_at TEXT NOT NULL,
            role TEXT NOT NULL,
            reason TEXT,
            UNIQUE (script_id, question_id, version)
        )""",
        # Per script: who holds it now (a claim lapses at claim_expires_at unless
        # refreshed by activity), whether its marker called it complete, and the
        # marker's overall feedback and next steps for the learner.
        """CREATE TABLE script_marking (
            script_id INTEGER PRIMARY KEY REFERENCES scripts(id),
            claimed_by INTEGER REFERENCES staff(id),
            claimed_at TEXT,
            claim_expires_at TEXT,
            completed_by INTEGER REFERENCES staff(id),
            completed_at TEXT,
            overall_feedback TEXT,
            next_steps TEXT,
            CHECK ((claimed_by IS NULL) = (claim_expires_at IS NULL)),
            CHECK ((completed_by IS NULL) = (completed_at IS NULL))
        )""",
        "CREATE INDEX script_marking_by_claim ON script_marking (claimed_by) WHERE claimed_by IS NOT NULL",
        # What a marker has typed but not saved yet, so a dead terminal loses nothing.
        # Not a mark: never counted, never audited, deleted when the mark is saved.
        """CREATE TABLE mark_drafts (
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            marks_text TEXT NOT NULL DEFAULT '',
            credited_points TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(credited_points)),
            comment TEXT NOT NULL DEFAULT '',
            base_version INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (script_id, question_id, staff_id)
        ) WITHOUT ROWID""",
        # Reusable comments per question of a paper version.
        """CREATE TABLE comment_bank (
            id INTEGER PRIMARY KEY,
            paper_id INTEGER NOT NULL REFERENCES papers(id),
            question_id TEXT NOT NULL,
            text TEXT NOT NULL CHECK (length(trim(text)) > 0),
            added_by INTEGER NOT NULL REFERENCES staff(id),
            added_at TEXT NOT NULL,
            UNIQUE (paper_id, question_id, text)
        )""",
        # No row = blind (the default). Every change is also in the audit log.
        """CREATE TABLE sitting_marking_settings (
            sitting_id INTEGER PRIMARY KEY REFERENCES sittings(id),
            blind INTEGER NOT NULL CHECK (blind IN (0, 1)),
            changed_by INTEGER NOT NULL REFERENCES staff(id),
            changed_at TEXT NOT NULL
        )""",
    ]
    for event in ("UPDATE", "DELETE"):
        statements.append(
            f"""CREATE TRIGGER mark_versions_no_{event.lower()} BEFORE {event} ON mark_versions
            BEGIN SELECT RAISE(ABORT, 'mark_versions is append-only: rows cannot be changed or deleted'); END"""
        )
    # A mark belongs to a submitted script; an absent candidate's script has nothing to mark.
    for event in ("INSERT", "UPDATE"):
        statements.append(
            f"""CREATE TRIGGER marks_only_on_submitted_scripts_{event.lower()} BEFORE {event} ON marks
            WHEN coalesce((SELECT finish FROM scripts WHERE id = NEW.script_id), 'absent') = 'absent'
            BEGIN SELECT RAISE(ABORT, 'marks can only be given on a submitted script'); END"""
        )
    # Marks are never deleted: a changed mark is a new version.
    statements.append(
        """CREATE TRIGGER marks_no_delete BEFORE DELETE ON marks
        BEGIN SELECT RAISE(ABORT, 'marks cannot be deleted; save a new value instead'); END"""
    )
    for statement in statements:
        db.execute(statement)


def m0003_iqa(db: Database) -> None:
    """Internal quality assurance: sampling plans, reviews, decisions, blind second marks, tolerances, sign-off.

    Nothing here is a mark: an IQA decision that changes marks does so through
    ``MarkingService.adjust_mark`` (``marks``/``mark_versions``, role ``iqa``);
    these tables keep what the reviewer saw and decided. Agreement figures are
    never stored: they are computed from the pairs each time (``services/iqa.py``).
    """
    statements = [
        # A plan samples one sitting (sitting_id) or a unit across its sittings
        # (qualification + unit). Re-drawing it supersedes the old row, which is
        # kept: inputs_json is what it was drawn from, so with the seed it can be
        # drawn again and compared (PlanService.reproduce).
        """CREATE TABLE iqa_plans (
            id INTEGER PRIMARY KEY,
            sitting_id INTEGER REFERENCES sittings(id),
            qualification TEXT,
            unit TEXT,
            reviewer_id INTEGER NOT NULL REFERENCES staff(id),
            strategy_json TEXT NOT NULL CHECK (json_valid(strategy_json)),
            strategy_text TEXT NOT NULL,
            seed INTEGER NOT NULL,
            seed_source TEXT NOT NULL CHECK (seed_source IN ('given', 'strategy', 'derived')),
            inputs_json TEXT NOT NULL CHECK (json_valid(inputs_json)),
            plan_json TEXT NOT NULL CHECK (json_valid(plan_json)),
            scripts_marked INTEGER NOT NULL CHECK (scripts_marked >= 0),
            created_at TEXT NOT NULL,
            created_by INTEGER NOT NULL REFERENCES staff(id),
            reason TEXT,
            superseded_at TEXT,
            superseded_by INTEGER REFERENCES iqa_plans(id),
            CHECK ((sitting_id IS NULL) = (qualification IS NOT NULL)),
            CHECK ((qualification IS NULL) = (unit IS NULL)),
            CHECK ((superseded_at IS NULL) = (superseded_by IS NULL))
        )""",
        # One current plan per scope and reviewer.
        """CREATE UNIQUE INDEX iqa_plans_one_current ON iqa_plans
            (coalesce(sitting_id, 0), coalesce(qualification, ''), coalesce(unit, ''), reviewer_id)
            WHERE superseded_at IS NULL""",
        # The scripts of a plan with every reason each is there, and the figures
        # the rules saw (markers, total, pass mark, result) when it was drawn.
        """CREATE TABLE iqa_plan_scripts (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES iqa_plans(id),
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            script_ref TEXT NOT NULL,
            reasons TEXT NOT NULL CHECK (json_valid(reasons) AND json_array_length(reasons) > 0),
            markers TEXT NOT NULL CHECK (json_valid(markers)),
            total INTEGER,
            pass_mark INTEGER NOT NULL,
            status TEXT NOT NULL,
            added_at TEXT NOT NULL,
            added_by INTEGER NOT NULL REFERENCES staff(id),
            UNIQUE (plan_id, script_id)
        )""",
        "CREATE INDEX iqa_plan_scripts_by_script ON iqa_plan_scripts (script_id)",
        # One review of one script by one reviewer; a new round only after
        # "refer back to marker" was confirmed. Confirmed reviews are frozen.
        """CREATE TABLE iqa_reviews (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES iqa_plans(id),
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            reviewer_id INTEGER NOT NULL REFERENCES staff(id),
            round INTEGER NOT NULL DEFAULT 1 CHECK (round > 0),
            state TEXT NOT NULL DEFAULT 'in progress'
                CHECK (state IN ('in progress', 'awaiting confirmation', 'confirmed')),
            decision TEXT CHECK (decision IN ('marking upheld', 'marks adjusted', 'refer back to marker')),
            decision_reason TEXT,
            feedback_to_marker TEXT,
            started_at TEXT NOT NULL,
            decided_at TEXT,
            confirmed_at TEXT,
            UNIQUE (script_id, reviewer_id, round),
            CHECK ((state = 'in progress') = (decision IS NULL)),
            CHECK ((state = 'in progress') = (decided_at IS NULL)),
            CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL))
        )""",
        # Per question: agree, or a different mark with a reason. marker_mark and
        # mark_version are the mark the reviewer saw: if the stored mark moves on
        # before confirmation, the review of that question is stale.
        """CREATE TABLE iqa_question_reviews (
            review_id INTEGER NOT NULL REFERENCES iqa_reviews(id),
            question_id TEXT NOT NULL,
            marker_mark INTEGER NOT NULL CHECK (marker_mark >= 0),
            marker_id INTEGER NOT NULL REFERENCES staff(id),
            mark_version INTEGER NOT NULL CHECK (mark_version > 0),
            agree INTEGER NOT NULL CHECK (agree IN (0, 1)),
            reviewer_mark INTEGER CHECK (reviewer_mark >= 0),
            reason TEXT,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (review_id, question_id),
            CHECK ((agree = 1) = (reviewer_mark IS NULL)),
            CHECK (agree = 1 OR (reason IS NOT NULL AND length(trim(reason)) > 0)),
            CHECK (agree = 1 OR reviewer_mark != marker_mark)
        ) WITHOUT ROWID""",
        # Action points for a marker (review_id) or for the whole sample (plan only).
        """CREATE TABLE iqa_action_points (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES iqa_plans(id),
            review_id INTEGER REFERENCES iqa_reviews(id),
            text TEXT NOT NULL CHECK (length(trim(text)) > 0),
            owner TEXT,
            due TEXT,
            added_by INTEGER NOT NULL REFERENCES staff(id),
            added_at TEXT NOT NULL
        )""",
        # Blind second marking: who second-marks which sampled script, and their marks.
        """CREATE TABLE iqa_second_markings (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES iqa_plans(id),
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            second_marker_id INTEGER NOT NULL REFERENCES staff(id),
            assigned_by INTEGER NOT NULL REFERENCES staff(id),
            assigned_at TEXT NOT NULL,
            completed_at TEXT,
            UNIQUE (script_id, second_marker_id)
        )""",
        """CREATE TABLE iqa_second_marks (
            second_marking_id INTEGER NOT NULL REFERENCES iqa_second_markings(id),
            question_id TEXT NOT NULL,
            marks INTEGER NOT NULL CHECK (typeof(marks) = 'integer' AND marks >= 0),
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (second_marking_id, question_id)
        ) WITHOUT ROWID""",
        # "Within tolerance" per question of a paper version; no row = 0.
        """CREATE TABLE iqa_tolerances (
            paper_id INTEGER NOT NULL REFERENCES papers(id),
            question_id TEXT NOT NULL,
            tolerance INTEGER NOT NULL CHECK (typeof(tolerance) = 'integer' AND tolerance >= 0),
            set_by INTEGER NOT NULL REFERENCES staff(id),
            set_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, question_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE iqa_sign_off (
            plan_id INTEGER PRIMARY KEY REFERENCES iqa_plans(id),
            reviewer_id INTEGER NOT NULL REFERENCES staff(id),
            signed_at TEXT NOT NULL,
            statement TEXT
        )""",
        # --- what cannot change once made --------------------------------------
        """CREATE TRIGGER iqa_plans_fixed BEFORE UPDATE ON iqa_plans
            WHEN OLD.superseded_at IS NOT NULL
              OR NEW.sitting_id IS NOT OLD.sitting_id OR NEW.qualification IS NOT OLD.qualification
              OR NEW.unit IS NOT OLD.unit OR NEW.reviewer_id IS NOT OLD.reviewer_id
              OR NEW.strategy_json IS NOT OLD.strategy_json OR NEW.seed IS NOT OLD.seed
              OR NEW.seed_source IS NOT OLD.seed_source OR NEW.inputs_json IS NOT OLD.inputs_json
              OR NEW.plan_json IS NOT OLD.plan_json OR NEW.created_at IS NOT OLD.created_at
              OR NEW.created_by IS NOT OLD.created_by
            BEGIN SELECT RAISE(ABORT, 'an IQA plan cannot be changed, only superseded by a new one'); END""",
        """CREATE TRIGGER iqa_reviews_frozen BEFORE UPDATE ON iqa_reviews WHEN OLD.state = 'confirmed'
            BEGIN SELECT RAISE(ABORT, 'a confirmed IQA review cannot be changed'); END""",
    ]
    for table in ("iqa_plan_scripts", "iqa_sign_off"):
        statements.append(
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} rows cannot be changed'); END"""
        )
    # A pending decision's action points may be replaced until it is confirmed; then they stay.
    statements.append(
        """CREATE TRIGGER iqa_action_points_kept BEFORE DELETE ON iqa_action_points
        WHEN OLD.review_id IS NULL OR (SELECT state FROM iqa_reviews WHERE id = OLD.review_id) = 'confirmed'
        BEGIN SELECT RAISE(ABORT, 'action points of a confirmed review or of a plan cannot be deleted'); END"""
    )
    statements.append(
        """CREATE TRIGGER iqa_action_points_no_update BEFORE UPDATE ON iqa_action_points
        BEGIN SELECT RAISE(ABORT, 'iqa_action_points rows cannot be changed'); END"""
    )
    for table in ("iqa_plans", "iqa_plan_scripts", "iqa_reviews", "iqa_question_reviews", "iqa_sign_off",
                  "iqa_second_markings"):
        statements.append(
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} rows cannot be deleted'); END"""
        )
    for event in ("INSERT", "UPDATE", "DELETE"):
        row = "OLD" if event == "DELETE" else "NEW"
        statements.append(
            f"""CREATE TRIGGER iqa_question_reviews_frozen_{event.lower()} BEFORE {event} ON iqa_question_reviews
            WHEN (SELECT state FROM iqa_reviews WHERE id = {row}.review_id) = 'confirmed'
            BEGIN SELECT RAISE(ABORT, 'a confirmed IQA review cannot be changed'); END"""
        )
        statements.append(
            f"""CREATE TRIGGER iqa_second_marks_frozen_{event.lower()} BEFORE {event} ON iqa_second_marks
            WHEN (SELECT completed_at FROM iqa_second_markings WHERE id = {row}.second_marking_id) IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'a completed second marking cannot be changed'); END"""
        )
    statements.append(
        """CREATE TRIGGER iqa_second_markings_frozen BEFORE UPDATE ON iqa_second_markings
        WHEN OLD.completed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a completed second marking cannot be changed'); END"""
    )
    for statement in statements:
        db.execute(statement)


def m0004_centre_settings(db: Database) -> None:
    """Centre-wide settings as key/value text; the first is the centre's name on every export.

    Written by ``ExportService.set_centre_name`` (admin, audited with old and new value).
    """
    db.execute(
        """CREATE TABLE centre_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            changed_by INTEGER NOT NULL REFERENCES staff(id),
            changed_at TEXT NOT NULL
        ) WITHOUT ROWID"""
    )


def m0005_paper_marker(db: Database) -> None:
    """Who marked an imported mark on paper, as the CSV named them (text, kept as data).

    ``marked_by`` of an imported mark is the signed-in staff member who imported
    it (so the own-marking rule of IQA sees them); ``paper_marker`` keeps the
    name the file gave, which need not be a staff member at all.
    """
    db.execute("ALTER TABLE marks ADD COLUMN paper_marker TEXT")
    db.execute("ALTER TABLE mark_versions ADD COLUMN paper_marker TEXT")


AUDIT_NO_UPDATE_TRIGGER = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed or deleted'); END"""


def m0006_audit_chain(db: Database) -> None:
    """Tamper-evident audit log: every row's content digest and chain hash (``domain/audit_chain.py``).

    Rows written before this migration are chained now (the append-only trigger is
    lifted for that one UPDATE, inside this transaction); an "audit log chained"
    entry then says from which id on the chain was made as rows were written. A
    new trigger refuses any row appended without its hashes or with an id that is
    not above every id before it (``storage/audit_log.append`` writes them).
    """
    from marker_tui.storage import audit_log

    db.execute("ALTER TABLE audit_log ADD COLUMN content_digest TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN chain_hash TEXT")
    db.execute("DROP TRIGGER audit_log_no_update")
    sealed = audit_log.seal_existing_rows(db)
    db.execute(AUDIT_NO_UPDATE_TRIGGER)
    db.execute(
        """CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log
        WHEN NEW.content_digest IS NULL OR length(NEW.content_digest) != 64
          OR NEW.chain_hash IS NULL OR length(NEW.chain_hash) != 64
          OR NEW.id <= coalesce((SELECT max(id) FROM audit_log), 0)
        BEGIN SELECT RAISE(ABORT, 'audit_log rows are appended with their chain hash, after every earlier row'); END"""
    )
    if sealed:
        db.execute("PRAGMA user_version = %d" % (MIGRATIONS.index(m0006_audit_chain) + 1))
        audit_log.append(db, datetime.now(timezone.utc).isoformat(timespec="microseconds"), "system",
                         "audit log chained", None, None, None,
                         '{"entries chained at upgrade": %d}' % sealed)


def m0007_admission(db: Database) -> None:
    """Learner admission and exam integrity (issue 13).

    * ``admission_keycodes``: one keycode per script, stored only as a salted scrypt hash;
      issuing slips again replaces it (the old code stops working).
    * ``script_leases``: which terminal holds a script, renewed while it is alive, lapsing
      after a short period (a heartbeat, not a PID: works across processes and hosts).
    * ``takeover_requests``: a second terminal asking for a script whose lease is live; the
      invigilator approves it from the room view or the CLI.
    * ``terminal_tries``: wrong keycodes / exit codes counted per terminal (its place: the SSH
      client or the tty), so a hostile terminal locks only itself.
    * ``sittings.exit_code``: the per-sitting code an invigilator types to close a learner's
      terminal, instead of their personal PIN. Kept readable on purpose: the invigilator's room
      view and the slips show it again (the database is readable by staff only).
    """
    import secrets

    statements = [
        """CREATE TABLE admission_keycodes (
            script_id INTEGER PRIMARY KEY REFERENCES scripts(id),
            keycode_hash TEXT NOT NULL,
            keycode_salt TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by INTEGER REFERENCES staff(id)
        )""",
        """CREATE TABLE script_leases (
            script_id INTEGER PRIMARY KEY REFERENCES scripts(id),
            terminal TEXT NOT NULL,
            acquired_at TEXT NOT NULL,
            renewed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        """CREATE TABLE takeover_requests (
            script_id INTEGER PRIMARY KEY REFERENCES scripts(id),
            terminal TEXT NOT NULL,
            requested_at TEXT NOT NULL
        )""",
        """CREATE TABLE terminal_tries (
            place TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('keycode', 'exit code')),
            sitting_id INTEGER REFERENCES sittings(id),
            terminal TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            last_failure_at TEXT,
            locked_until TEXT,
            PRIMARY KEY (place, kind)
        ) WITHOUT ROWID""",
        "ALTER TABLE sittings ADD COLUMN exit_code TEXT",
    ]
    for statement in statements:
        db.execute(statement)
    for (sitting_id,) in db.execute("SELECT id FROM sittings").fetchall():
        db.execute("UPDATE sittings SET exit_code = ? WHERE id = ?",
                   ["".join(secrets.choice("0123456789") for _ in range(6)), sitting_id])


def m0008_answer_history(db: Database) -> None:
    """Answer history is thinned by its retention rule (``domain/answer_history.py``), nothing else.

    Until now ``answer_versions`` refused every DELETE, so each autosave kept the
    whole answer again for ever. The blanket trigger is replaced by one that lets
    through only what the retention rule may drop and refuses, whatever code runs:
    the first version, the current one (``answers.version``), any version of a
    submitted script, and the last version of its UTC minute (so "one per minute"
    always holds). UPDATE stays refused. The audit log is untouched: it keeps an
    entry with the SHA-256 of every save. Existing history thins lazily, at the
    answer's next save (``storage/answer_history.thin``).

    The index covers what every save reads to apply the rule (version and
    instant of each version held): without it SQLite walks each version's text
    (saved_at is stored after it) on every save.
    """
    db.execute("CREATE INDEX answer_versions_saved ON answer_versions (script_id, question_id, version, saved_at)")
    db.execute("DROP TRIGGER answer_versions_no_delete")
    db.execute(
        """CREATE TRIGGER answer_versions_thinned_by_rule_only BEFORE DELETE ON answer_versions
        WHEN (SELECT submitted_at FROM scripts WHERE id = OLD.script_id) IS NOT NULL
          OR OLD.version >= coalesce((SELECT version FROM answers
                                      WHERE script_id = OLD.script_id AND question_id = OLD.question_id), 0)
          OR OLD.version <= (SELECT min(version) FROM answer_versions
                             WHERE script_id = OLD.script_id AND question_id = OLD.question_id)
          OR NOT EXISTS (SELECT 1 FROM answer_versions n
                         WHERE n.script_id = OLD.script_id AND n.question_id = OLD.question_id
                           AND n.version > OLD.version AND substr(n.saved_at, 1, 16) = substr(OLD.saved_at, 1, 16))
        BEGIN SELECT RAISE(ABORT, 'answer_versions is append-only: only the retention rule may thin it (never the first, the current, a submitted script''s or the last of its minute)'); END"""
    )


#: In order. The schema version of a database is how many of these it has run.
def m0009_rest_breaks(db: Database) -> None:
    """Supervised rest breaks (access arrangement): asked for by the learner or begun by the invigilator.

    A break *is* a pause of that candidate's clock (``pauses``), so the time used never counts
    it; this table says which pauses were rest breaks, who asked and who allowed them.
    """
    for statement in (
        """CREATE TABLE rest_breaks (
            id INTEGER PRIMARY KEY,
            sitting_id INTEGER NOT NULL REFERENCES sittings(id),
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            asked_at TEXT,
            started_at TEXT,
            allowed_by INTEGER REFERENCES staff(id),
            pause_id INTEGER REFERENCES pauses(id),
            ended_at TEXT,
            ended_by INTEGER REFERENCES staff(id),
            declined_at TEXT,
            declined_by INTEGER REFERENCES staff(id),
            CHECK (asked_at IS NOT NULL OR started_at IS NOT NULL)
        )""",
        # One break asked for or under way per script at a time.
        "CREATE UNIQUE INDEX rest_breaks_one_open ON rest_breaks (script_id) "
        "WHERE ended_at IS NULL AND declined_at IS NULL",
        "CREATE INDEX rest_breaks_by_sitting ON rest_breaks (sitting_id)",
    ):
        db.execute(statement)


# Frozen copies for m0010 (a migration must not change when domain/arrangements.py does).
_M0010_WORDS = (
    ("extra time", "extra time"), ("rest break", "supervised rest breaks"), ("reader", "reader"),
    ("scribe", "scribe / word processor"), ("word processor", "scribe / word processor"),
    ("separate room", "separate room"), ("overlay", "coloured overlay / high contrast"),
    ("high contrast", "coloured overlay / high contrast"), ("larger text", "larger text"),
    ("large print", "larger text"), ("enlarged", "larger text"), ("prompter", "prompter"),
)


def _m0010_from_text(text: str | None, extra_time_percent: int) -> list[dict[str, str]]:
    import re

    found: list[dict[str, str]] = []
    for piece in re.split(r"[;,\n]", text or ""):
        piece = " ".join(piece.split())
        if not piece:
            continue
        kinds = list(dict.fromkeys(kind for words, kind in _M0010_WORDS if words in piece.lower()))
        kind = kinds[0] if len(kinds) == 1 else "other"
        detail = "" if piece.lower() == kind else piece
        found.append({"kind": kind, "detail": detail, "evidence": "", "approved_by": "", "approved_on": ""})
    if extra_time_percent and not any(a["kind"] == "extra time" for a in found):
        found.insert(0, {"kind": "extra time", "detail": f"{extra_time_percent}%", "evidence": "",
                         "approved_by": "", "approved_on": ""})
    return found


def m0010_arrangements(db: Database) -> None:
    """Access arrangements as a list of kinds with their evidence (candidates.arrangements, JSON),
    and the list in force copied onto each script when enrolled (scripts.arrangements), so a later
    change to the candidate never rewrites what applied in a sitting.

    The free text typed before is read into the list without loss: known words become their kind
    (the words kept as its detail), the rest "other" with the text; ``access_arrangements`` stays
    as the words the register and the room view show. Scripts already enrolled get the list as read.
    """
    import json

    db.execute("ALTER TABLE candidates ADD COLUMN arrangements TEXT NOT NULL DEFAULT '[]'")
    db.execute("ALTER TABLE scripts ADD COLUMN arrangements TEXT NOT NULL DEFAULT '[]'")
    for row in list(db.execute("SELECT id, access_arrangements, extra_time_percent FROM candidates")):
        listed = json.dumps(_m0010_from_text(row[1], row[2] or 0))
        db.execute("UPDATE candidates SET arrangements = ? WHERE id = ?", [listed, row[0]])
    db.execute("UPDATE scripts SET arrangements = (SELECT c.arrangements FROM candidates c"
               " WHERE c.id = scripts.candidate_id)")


def m0011_standardisation(db: Database) -> None:
    """Standardisation and control scripts (issue 18.1, 18.2): the lead assessor's chosen scripts with
    definitive marks, markers' marks of them, control scripts given during live marking, and the lead
    assessor's approvals, suspensions and reinstatements. None of it is a learner's mark: results and
    exports never read these tables.
    """
    for statement in (
        # A script of any sitting of the paper (qualification + unit), chosen for one part.
        """CREATE TABLE std_scripts (
            id INTEGER PRIMARY KEY,
            qualification TEXT NOT NULL,
            unit TEXT NOT NULL,
            script_id INTEGER NOT NULL UNIQUE REFERENCES scripts(id),
            kind TEXT NOT NULL CHECK (kind IN ('practice', 'qualification', 'control')),
            position INTEGER NOT NULL,
            chosen_by INTEGER NOT NULL REFERENCES staff(id),
            chosen_at TEXT NOT NULL
        )""",
        "CREATE INDEX std_scripts_by_paper ON std_scripts (qualification, unit, kind, position)",
        """CREATE TABLE std_definitive_marks (
            std_script_id INTEGER NOT NULL REFERENCES std_scripts(id),
            question_id TEXT NOT NULL,
            marks INTEGER NOT NULL CHECK (typeof(marks) = 'integer' AND marks >= 0),
            rationale TEXT NOT NULL CHECK (length(trim(rationale)) > 0),
            set_by INTEGER NOT NULL REFERENCES staff(id),
            set_at TEXT NOT NULL,
            PRIMARY KEY (std_script_id, question_id)
        ) WITHOUT ROWID""",
        # A control script in one marker's queue of a live sitting, under a script number of that sitting.
        """CREATE TABLE std_controls (
            id INTEGER PRIMARY KEY,
            sitting_id INTEGER NOT NULL REFERENCES sittings(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            std_script_id INTEGER NOT NULL REFERENCES std_scripts(id),
            script_number TEXT NOT NULL,
            assigned_at TEXT NOT NULL,
            completed_at TEXT,
            UNIQUE (sitting_id, script_number)
        )""",
        "CREATE INDEX std_controls_by_marker ON std_controls (staff_id, sitting_id)",
        # Marks a marker saves on a control script, question by question, as on a live one.
        """CREATE TABLE std_control_marks (
            control_id INTEGER NOT NULL REFERENCES std_controls(id),
            question_id TEXT NOT NULL,
            marks_awarded INTEGER NOT NULL CHECK (marks_awarded >= 0),
            credited_points TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(credited_points)),
            comment TEXT,
            version INTEGER NOT NULL,
            marked_at TEXT NOT NULL,
            PRIMARY KEY (control_id, question_id)
        ) WITHOUT ROWID""",
        # One marker's marked standardisation script, compared with the definitive marks (append-only).
        """CREATE TABLE std_attempts (
            id INTEGER PRIMARY KEY,
            std_script_id INTEGER NOT NULL REFERENCES std_scripts(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            kind TEXT NOT NULL CHECK (kind IN ('practice', 'qualification', 'control')),
            control_id INTEGER REFERENCES std_controls(id),
            marks_json TEXT NOT NULL CHECK (json_valid(marks_json)),
            given_total INTEGER NOT NULL,
            definitive_total INTEGER NOT NULL,
            within INTEGER NOT NULL CHECK (within IN (0, 1)),
            summary TEXT NOT NULL,
            marked_at TEXT NOT NULL
        )""",
        "CREATE INDEX std_attempts_by_marker ON std_attempts (staff_id, kind, id)",
        # The lead assessor's decisions about a marker on a paper; the latest one stands.
        """CREATE TABLE std_decisions (
            id INTEGER PRIMARY KEY,
            qualification TEXT NOT NULL,
            unit TEXT NOT NULL,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            decision TEXT NOT NULL CHECK (decision IN ('approved', 'suspended', 'reinstated')),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            decided_by INTEGER REFERENCES staff(id),
            decided_at TEXT NOT NULL,
            -- The newest attempt when decided: control scripts marked after it count towards a new run.
            after_attempt INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX std_decisions_by_marker ON std_decisions (qualification, unit, staff_id, id)",
    ):
        db.execute(statement)
    for table in ("std_attempts", "std_decisions"):
        for event in ("UPDATE", "DELETE"):
            db.execute(f"""CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def m0012_reviews_of_marking(db: Database) -> None:
    """Reviews of marking (learners' queries and appeals) and the reason for a 0 on a written answer.

    A review's changed mark is a new mark version with role ``review`` (the original stays in
    ``mark_versions``): ``marks.role`` had a CHECK listing the roles, which SQLite cannot alter, so
    the table is rebuilt with its rows, index and triggers as they were. ``reason_code`` (marks and
    versions) is the marker's reason for 0 where the learner wrote something worthless
    (``domain/not_attempted.py``).
    """
    statements = [
        """CREATE TABLE marks_rebuilt (
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            question_id TEXT NOT NULL,
            marks_awarded INTEGER NOT NULL CHECK (typeof(marks_awarded) = 'integer' AND marks_awarded >= 0),
            credited_points TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(credited_points)),
            comment TEXT,
            marked_by INTEGER NOT NULL REFERENCES staff(id),
            marked_at TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'marker' CHECK (role IN ('marker', 'iqa', 'import', 'review')),
            version INTEGER NOT NULL CHECK (version > 0),
            paper_marker TEXT,
            reason_code TEXT,
            PRIMARY KEY (script_id, question_id)
        ) WITHOUT ROWID""",
        "INSERT INTO marks_rebuilt (script_id, question_id, marks_awarded, credited_points, comment, marked_by,"
        " marked_at, role, version, paper_marker) SELECT script_id, question_id, marks_awarded, credited_points,"
        " comment, marked_by, marked_at, role, version, paper_marker FROM marks",
        "DROP TABLE marks",
        "ALTER TABLE marks_rebuilt RENAME TO marks",
        "CREATE INDEX marks_by_marker ON marks (marked_by)",
        """CREATE TRIGGER marks_no_delete BEFORE DELETE ON marks
        BEGIN SELECT RAISE(ABORT, 'marks cannot be deleted; save a new value instead'); END""",
        "ALTER TABLE mark_versions ADD COLUMN reason_code TEXT",
        # One review per script at a time; a finished review is frozen (its decisions are history).
        """CREATE TABLE marking_reviews (
            id INTEGER PRIMARY KEY,
            script_id INTEGER NOT NULL REFERENCES scripts(id),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            deadline TEXT NOT NULL,          -- a date (YYYY-MM-DD): the review is due by the end of it
            reviewer_id INTEGER NOT NULL REFERENCES staff(id),
            opened_by INTEGER NOT NULL REFERENCES staff(id),
            opened_at TEXT NOT NULL,
            completed_at TEXT,
            outcome TEXT,
            total_before INTEGER,
            total_after INTEGER,
            result_before TEXT,
            result_after TEXT,
            CHECK ((completed_at IS NULL) = (outcome IS NULL))
        )""",
        "CREATE UNIQUE INDEX marking_reviews_one_open ON marking_reviews (script_id) WHERE completed_at IS NULL",
        # Per question: upheld, or a new mark, always with the reviewer's reason; and the mark they saw.
        """CREATE TABLE marking_review_questions (
            review_id INTEGER NOT NULL REFERENCES marking_reviews(id),
            question_id TEXT NOT NULL,
            original_mark INTEGER NOT NULL CHECK (original_mark >= 0),
            original_version INTEGER NOT NULL CHECK (original_version > 0),
            decision TEXT NOT NULL CHECK (decision IN ('upheld', 'changed')),
            new_mark INTEGER CHECK (new_mark >= 0),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            decided_at TEXT NOT NULL,
            PRIMARY KEY (review_id, question_id),
            CHECK ((decision = 'upheld') = (new_mark IS NULL))
        ) WITHOUT ROWID""",
        """CREATE TRIGGER marking_reviews_frozen BEFORE UPDATE ON marking_reviews WHEN OLD.completed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a finished review of marking cannot be changed'); END""",
        """CREATE TRIGGER marking_reviews_no_delete BEFORE DELETE ON marking_reviews
        BEGIN SELECT RAISE(ABORT, 'marking_reviews rows cannot be deleted'); END""",
    ]
    for event in ("INSERT", "UPDATE"):
        statements.append(
            f"""CREATE TRIGGER marks_only_on_submitted_scripts_{event.lower()} BEFORE {event} ON marks
            WHEN coalesce((SELECT finish FROM scripts WHERE id = NEW.script_id), 'absent') = 'absent'
            BEGIN SELECT RAISE(ABORT, 'marks can only be given on a submitted script'); END"""
        )
    for event in ("INSERT", "UPDATE", "DELETE"):
        row = "OLD" if event == "DELETE" else "NEW"
        statements.append(
            f"""CREATE TRIGGER marking_review_questions_frozen_{event.lower()}
            BEFORE {event} ON marking_review_questions
            WHEN (SELECT completed_at FROM marking_reviews WHERE id = {row}.review_id) IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'a finished review of marking cannot be changed'); END"""
        )
    for statement in statements:
        db.execute(statement)


def m0013_control_claims(db: Database) -> None:
    """A control script is held while its marker has it open, as a live script's claim is (issue 18.2):
    without it, ``marks status`` showed a live script the marker had open as held by them and the
    control script beside it as held by nobody."""
    db.execute("ALTER TABLE std_controls ADD COLUMN claimed_until TEXT")


def m0014_takeover_asked(db: Database) -> None:
    """When the terminal asking for a script last asked (it asks again while its learner waits): a move is
    never approved to a terminal that has gone, which cut off the learner's working terminal."""
    db.execute("ALTER TABLE takeover_requests ADD COLUMN asked_at TEXT")


MIGRATIONS: list[Migration] = [
    m0001_sittings,
    m0002_marking,
    m0003_iqa,
    m0004_centre_settings,
    m0005_paper_marker,
    m0006_audit_chain,
    m0007_admission,
    m0008_answer_history,
    m0009_rest_breaks,
    m0010_arrangements,
    m0011_standardisation,
    m0012_reviews_of_marking,
    m0013_control_claims,
    m0014_takeover_asked,
]

SCHEMA_VERSION = len(MIGRATIONS)
#: The first schema version whose audit log is chained.
AUDIT_CHAIN_VERSION = MIGRATIONS.index(m0006_audit_chain) + 1


def schema_version(db: Database) -> int:
    return int(db.conn.execute("PRAGMA user_version").fetchone()[0])


def upgrade(db: Database) -> int:
    """Apply every pending migration; return the resulting schema version."""
    from marker_tui import __version__
    from marker_tui.storage.database import DatabaseTooNew, run_write

    def check(found: int) -> None:
        if found > SCHEMA_VERSION:
            raise DatabaseTooNew(
                f"The database {db.path} has schema version {found}, but this marker-tui "
                f"({__version__}) only knows versions up to {SCHEMA_VERSION}: it was written by a "
                "newer marker-tui. Upgrade marker-tui (or use a copy of an older database); "
                "nothing was changed."
            )

    found = schema_version(db)
    check(found)
    while found < SCHEMA_VERSION:

        def step(db: Database) -> int:
            current = schema_version(db)  # re-read under the write lock
            check(current)
            if current >= SCHEMA_VERSION:
                return current
            if current == 0:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            migration = MIGRATIONS[current]
            migration(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [current + 1, migration.__name__, datetime.now(timezone.utc).isoformat()],
            )
            db.execute(f"PRAGMA user_version = {current + 1}")
            return current + 1

        found = run_write(db, step, "upgrading the database")
    return found
