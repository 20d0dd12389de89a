// libFuzzer's driver, for a harness that has its own main (Swift executables do). Linked from
// libclang_rt.fuzzer_no_main by scripts/fuzz.sh; only referenced when the harness is compiled with -DFUZZING.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
