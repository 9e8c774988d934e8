# Python twins: stage 05's deterministic demos redone in asyncio (stages/05_futures_tasks/python/).
# A twin passes when it prints exactly what the C++ demo prints with
# `--clock virtual --quiet --color never`: the banner and the event lines, in the same order, with
# the same virtual times. So a test here fails whenever the C++ loop and asyncio schedule the same
# program differently (or a twin drifts from its demo).
#
# Two roles in one file, as cmake/golden.cmake:
#   include(twins.cmake) from tests/CMakeLists.txt   registers the tests (needs python3, FindPython3)
#   cmake -DBIN=... -DDEMO=... -DPYTHON=... -DTWIN=file.py -DWORK=dir [-DARGS=...] -P twins.cmake
#                                                     runs both and compares them line by line

if(CMAKE_SCRIPT_MODE_FILE AND MODE STREQUAL "coverage")
  # Every demo the binary calls deterministic (its hidden --list-golden) must have a twin in TWINS.
  cmake_minimum_required(VERSION 3.25)
  execute_process(COMMAND ${BIN} --list-golden OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BIN} --list-golden exited with ${rc}")
  endif()
  string(REPLACE "\n" ";" listed "${listed}")
  string(REPLACE "," ";" have "${TWINS}")
  set(missing "")
  foreach(demo IN LISTS listed)
    if(NOT demo STREQUAL "" AND NOT demo IN_LIST have)
      list(APPEND missing ${demo})
    endif()
  endforeach()
  if(missing)
    message(FATAL_ERROR "deterministic demos without a Python twin: ${missing} "
                        "(write stages/05_futures_tasks/python/<demo>.py and list it in cmake/twins.cmake)")
  endif()
  return()
endif()

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)
  separate_arguments(extra UNIX_COMMAND "${ARGS}")
  execute_process(COMMAND ${BIN} ${DEMO} --clock virtual --quiet --color never ${extra}
                  OUTPUT_VARIABLE cpp ERROR_VARIABLE cpp_err RESULT_VARIABLE cpp_rc)
  if(NOT cpp_rc EQUAL 0)
    message(FATAL_ERROR "${BIN} ${DEMO} exited with ${cpp_rc}:\n${cpp_err}")
  endif()
  # -X dev would add asyncio's debug mode to every twin; the twins choose debug mode themselves
  # (selfish does), so they run as a student would run them.
  execute_process(COMMAND ${PYTHON} ${TWIN} ${extra}
                  OUTPUT_VARIABLE py ERROR_VARIABLE py_err RESULT_VARIABLE py_rc)
  if(NOT py_rc EQUAL 0)
    message(FATAL_ERROR "${PYTHON} ${TWIN} exited with ${py_rc}:\n${py_err}")
  endif()
  if(NOT cpp STREQUAL py)
    get_filename_component(twin_name ${TWIN} NAME_WE)
    string(STRIP "${DEMO} ${ARGS}" tag)
    string(MAKE_C_IDENTIFIER "${tag}" tag)
    set(cpp_file ${WORK}/twin_${tag}.cpp.txt)
    set(py_file ${WORK}/twin_${tag}.py.txt)
    file(WRITE ${cpp_file} "${cpp}")
    file(WRITE ${py_file} "${py}")
    # Unified diff: '-' lines are the C++ demo's, '+' lines the twin's.
    execute_process(COMMAND diff -u --label "05-futures-tasks ${DEMO} (C++)" --label "${twin_name}.py (asyncio)"
                            ${cpp_file} ${py_file})
    message(FATAL_ERROR "the Python twin ${TWIN} and `05-futures-tasks ${DEMO}` print different events "
                        "(diff above: - C++, + Python; outputs kept in ${cpp_file} and ${py_file}). "
                        "Either the twin drifted from the demo, or the two loops schedule differently: "
                        "stages/05_futures_tasks/python/README.md lists the known deviations.")
  endif()
  if(NOT py_err STREQUAL "")
    message(FATAL_ERROR "${TWIN} wrote to stderr (the C++ demo did not):\n${py_err}")
  endif()
  return()
endif()

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "python3 not found: the Python twin tests (twins/05_*) are skipped. "
                  "`make deps` installs Debian's python3.")
  return()
endif()
if(Python3_VERSION VERSION_LESS 3.11)
  message(WARNING "python3 ${Python3_VERSION} is older than 3.11 (asyncio.Runner, Task.cancelling): "
                  "the Python twin tests (twins/05_*) are skipped.")
  return()
endif()

set(twin_dir ${CMAKE_SOURCE_DIR}/stages/05_futures_tasks/python)
set(twin_script ${CMAKE_SOURCE_DIR}/cmake/twins.cmake)
# demo:file.py[:extra arguments, with + for spaces]. The seeded demos also run with a second seed,
# so a twin cannot pass by matching one schedule by accident.
set(twins
    callbacks:callbacks.py
    await-vs-task:await_vs_task.py
    count:count.py
    chain:chain.py
    chain:chain.py:--seed+7
    queue:queues.py
    queue:queues.py:--seed+7
    chess:chess.py
    cancel:cancel.py
    selfish:selfish.py
    recv-chain:recv_chain.py
    echo:echo.py
    echo-protocol:echo_protocol.py)
set(twinned "")
foreach(entry IN LISTS twins)
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 demo)
  list(APPEND twinned ${demo})
  list(GET parts 1 file)
  set(args "")
  set(suffix "")
  list(LENGTH parts n)
  if(n GREATER 2)
    list(GET parts 2 args)
    string(REPLACE "+" " " args "${args}")
    set(suffix " ${args}")
  endif()
  add_test(NAME "twins/05_${demo}${suffix}"
           COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:05-futures-tasks> -DDEMO=${demo}
                   -DPYTHON=${Python3_EXECUTABLE} -DTWIN=${twin_dir}/${file} -DARGS=${args}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR} -P ${twin_script})
endforeach()
# The shared module checks SplitMix64 against common_random.cpp's reference outputs, the clock jump,
# FIFO ties, and that a loop with nothing to wait for fails instead of hanging.
add_test(NAME "twins/05_looplab.py self-test" COMMAND ${Python3_EXECUTABLE} ${twin_dir}/looplab.py)
# A deterministic demo added to stage 05 without a twin fails here, not silently.
list(REMOVE_DUPLICATES twinned)
string(REPLACE ";" "," twinned "${twinned}")
add_test(NAME "twins/05 every deterministic demo has a twin"
         COMMAND ${CMAKE_COMMAND} -DMODE=coverage -DBIN=$<TARGET_FILE:05-futures-tasks> -DTWINS=${twinned}
                 -P ${twin_script})
