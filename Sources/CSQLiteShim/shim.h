#include <sqlite3.h>

/// Turns off the checkpoint SQLite runs when the last connection to a WAL database closes
/// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`): the continuous backup decides when frames leave the WAL.
/// `sqlite3_db_config` is variadic, which Swift cannot call.
static inline int pds_sqlite_disable_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
