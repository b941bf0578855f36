// @generated automatically by Diesel CLI.

diesel::table! {
    activity_log (id) {
        id -> Bigint,
        at -> Datetime,
        actor_id -> Nullable<Integer>,
        student_id -> Nullable<Integer>,
        #[max_length = 24]
        action -> Varchar,
        section_id -> Nullable<Integer>,
        #[max_length = 32]
        outcome -> Varchar,
        #[max_length = 500]
        detail -> Nullable<Varchar>,
        #[max_length = 64]
        request_id -> Varchar,
        #[max_length = 16]
        session_ref -> Nullable<Varchar>,
        #[max_length = 45]
        client_ip -> Nullable<Varchar>,
    }
}

diesel::table! {
    basket_items (id) {
        id -> Bigint,
        student_id -> Integer,
        section_id -> Integer,
        created_at -> Datetime,
    }
}

diesel::table! {
    completed_courses (id) {
        id -> Integer,
        student_id -> Integer,
        course_id -> Integer,
        #[max_length = 32]
        term_label -> Varchar,
        #[max_length = 4]
        grade -> Varchar,
    }
}

diesel::table! {
    course_prerequisites (course_id, required_course_id) {
        course_id -> Integer,
        required_course_id -> Integer,
    }
}

diesel::table! {
    courses (id) {
        id -> Integer,
        #[max_length = 16]
        code -> Varchar,
        #[max_length = 200]
        title_ko -> Varchar,
        #[max_length = 200]
        title_en -> Varchar,
        credits -> Tinyint,
        department_id -> Integer,
        #[max_length = 24]
        category -> Varchar,
        description -> Text,
    }
}

diesel::table! {
    departments (id) {
        id -> Integer,
        #[max_length = 16]
        code -> Varchar,
        #[max_length = 100]
        name_ko -> Varchar,
        #[max_length = 100]
        name_en -> Varchar,
    }
}

diesel::table! {
    enrollments (id) {
        id -> Bigint,
        student_id -> Integer,
        section_id -> Integer,
        term_id -> Integer,
        course_id -> Integer,
        #[max_length = 24]
        source -> Varchar,
        #[max_length = 64]
        request_id -> Nullable<Varchar>,
        created_at -> Datetime,
    }
}

diesel::table! {
    holds (id) {
        id -> Integer,
        student_id -> Integer,
        #[max_length = 255]
        reason -> Varchar,
        created_by -> Integer,
        created_at -> Datetime,
        released_at -> Nullable<Datetime>,
        released_by -> Nullable<Integer>,
    }
}

diesel::table! {
    meetings (id) {
        id -> Integer,
        section_id -> Integer,
        weekday -> Tinyint,
        starts_at_min -> Smallint,
        ends_at_min -> Smallint,
        #[max_length = 50]
        room -> Varchar,
    }
}

diesel::table! {
    notices (id) {
        id -> Bigint,
        user_id -> Integer,
        #[max_length = 32]
        kind -> Varchar,
        #[max_length = 500]
        message_ko -> Varchar,
        #[max_length = 500]
        message_en -> Varchar,
        created_at -> Datetime,
        read_at -> Nullable<Datetime>,
    }
}

diesel::table! {
    one_time_passwords (user_id) {
        user_id -> Integer,
        #[max_length = 255]
        password_hash -> Varchar,
        expires_at -> Datetime,
        used_at -> Nullable<Datetime>,
        issued_by -> Nullable<Integer>,
        created_at -> Datetime,
    }
}

diesel::table! {
    priority_group_members (group_id, student_id) {
        group_id -> Integer,
        student_id -> Integer,
        created_at -> Datetime,
    }
}

diesel::table! {
    priority_groups (id) {
        id -> Integer,
        #[max_length = 16]
        code -> Varchar,
        #[max_length = 100]
        name_ko -> Varchar,
        #[max_length = 100]
        name_en -> Varchar,
        created_at -> Datetime,
    }
}

diesel::table! {
    registration_windows (id) {
        id -> Integer,
        term_id -> Integer,
        #[max_length = 16]
        phase -> Varchar,
        #[max_length = 16]
        cohort -> Varchar,
        opens_at -> Datetime,
        closes_at -> Datetime,
        group_id -> Nullable<Integer>,
        #[max_length = 8]
        parity -> Nullable<Varchar>,
    }
}

diesel::table! {
    section_watches (id) {
        id -> Bigint,
        student_id -> Integer,
        section_id -> Integer,
        created_at -> Datetime,
    }
}

diesel::table! {
    sections (id) {
        id -> Integer,
        term_id -> Integer,
        course_id -> Integer,
        section_no -> Smallint,
        #[max_length = 100]
        instructor -> Varchar,
        capacity -> Integer,
        enrolled -> Integer,
        waitlist_capacity -> Integer,
        restrict_department_id -> Nullable<Integer>,
        restrict_class_years -> Tinyint,
        #[max_length = 16]
        status -> Varchar,
        #[max_length = 500]
        cancel_reason -> Nullable<Varchar>,
        created_at -> Datetime,
        held_seats -> Integer,
        held_until -> Nullable<Datetime>,
    }
}

diesel::table! {
    site_settings (name) {
        #[max_length = 64]
        name -> Varchar,
        value -> Text,
        updated_at -> Datetime,
    }
}

diesel::table! {
    terms (id) {
        id -> Integer,
        year -> Smallint,
        #[max_length = 16]
        season -> Varchar,
        #[max_length = 100]
        name_ko -> Varchar,
        #[max_length = 100]
        name_en -> Varchar,
        starts_on -> Date,
        ends_on -> Date,
        is_current -> Bool,
        max_credits -> Tinyint,
        registration_frozen -> Bool,
        #[max_length = 500]
        freeze_message -> Nullable<Varchar>,
        created_at -> Datetime,
        #[max_length = 16]
        allocation_policy -> Varchar,
        #[max_length = 100]
        release_times -> Nullable<Varchar>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        #[max_length = 32]
        login_id -> Varchar,
        #[max_length = 100]
        name -> Varchar,
        #[max_length = 255]
        password_hash -> Varchar,
        #[max_length = 16]
        role -> Varchar,
        department_id -> Nullable<Integer>,
        class_year -> Nullable<Tinyint>,
        #[max_length = 16]
        status -> Varchar,
        max_credits -> Nullable<Tinyint>,
        created_at -> Datetime,
        disabled_at -> Nullable<Datetime>,
    }
}

diesel::table! {
    waitlist_entries (id) {
        id -> Bigint,
        section_id -> Integer,
        student_id -> Integer,
        created_at -> Datetime,
    }
}

diesel::joinable!(basket_items -> sections (section_id));
diesel::joinable!(basket_items -> users (student_id));
diesel::joinable!(completed_courses -> courses (course_id));
diesel::joinable!(completed_courses -> users (student_id));
diesel::joinable!(courses -> departments (department_id));
diesel::joinable!(enrollments -> courses (course_id));
diesel::joinable!(enrollments -> sections (section_id));
diesel::joinable!(enrollments -> terms (term_id));
diesel::joinable!(enrollments -> users (student_id));
diesel::joinable!(meetings -> sections (section_id));
diesel::joinable!(notices -> users (user_id));
diesel::joinable!(one_time_passwords -> users (user_id));
diesel::joinable!(priority_group_members -> priority_groups (group_id));
diesel::joinable!(priority_group_members -> users (student_id));
diesel::joinable!(registration_windows -> priority_groups (group_id));
diesel::joinable!(registration_windows -> terms (term_id));
diesel::joinable!(section_watches -> sections (section_id));
diesel::joinable!(section_watches -> users (student_id));
diesel::joinable!(sections -> courses (course_id));
diesel::joinable!(sections -> departments (restrict_department_id));
diesel::joinable!(sections -> terms (term_id));
diesel::joinable!(users -> departments (department_id));
diesel::joinable!(waitlist_entries -> sections (section_id));
diesel::joinable!(waitlist_entries -> users (student_id));

diesel::allow_tables_to_appear_in_same_query!(
    activity_log,
    basket_items,
    completed_courses,
    course_prerequisites,
    courses,
    departments,
    enrollments,
    holds,
    meetings,
    notices,
    one_time_passwords,
    priority_group_members,
    priority_groups,
    registration_windows,
    section_watches,
    sections,
    site_settings,
    terms,
    users,
    waitlist_entries,
);
