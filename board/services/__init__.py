"""Plain functions that change the database: validated data in, saved objects out.

They never read the request, render or emit; the views do that around them. Relational
checks that a schema cannot make (a theme of another event, a stale code) raise
marshmallow's ValidationError keyed by field, like a schema would. One module per area,
named like its blueprint; each function is also reachable here, as ``services.<name>``.
"""

from .axes import (  # noqa: F401
    axis_notes,
    cast_vote,
    create_axis,
    delete_axis,
    live_axes,
    merge_notes,
    move_axis,
    move_note,
    my_votes,
    restore_axis,
    set_vote_state,
    sort_axes_by_votes,
    unmerge_note,
    update_axis,
    vote_counts,
    withdraw_vote,
)
from .consolidation import (  # noqa: F401
    create_priority_axis,
    gather_axes,
    rename_priority_axis,
    split_priority_axis,
    undo_gathering,
    update_vote_settings,
)
from .day import (  # noqa: F401
    add_follow_up,
    close_selection,
    control_countdown,
    countdown_of,
    decide,
    move_pitch,
    pitch_queue,
    reopen_selection,
    selection_closed_at,
    set_phase,
    set_phase_step,
    set_sponsor,
    set_spotlight,
    set_stage,
    stage_of,
    start_pitch,
    step_pitch,
)
from .notes import (  # noqa: F401
    StaleEdit,
    create_note,
    delete_note,
    update_note,
)
from .organizer import (  # noqa: F401
    anonymous_name,
    create_event,
    create_event_from,
    end_sessions,
    equip_tables,
    new_plenary_token,
    publish_results,
    purge_names,
    regenerate_codes,
    update_event,
    use_sign_in_link,
)
from .proposals import (  # noqa: F401
    BURST_MAX,
    BURST_PAUSE,
    Behind,
    StaleWrite,
    change_status,
    editing_at,
    field_versions,
    latest_revision,
    proposal_for,
    restore_revision,
    set_editing,
    set_status,
    update_field,
)
from .tables import (  # noqa: F401
    close_connection,
    connected_ids,
    forget_connections,
    join_table,
    keep_connections,
    open_connection,
    seated,
    sockets_of,
    sweep_connections,
    table_for_code,
    unseat,
    unseat_one,
)
from .writing import (  # noqa: F401
    add_once,
    fresh,
    insert_once,
    made_before,
    theme_of,
    writing,
)
