# looplab_add_stage(SOURCES ...)
#
# Called from stages/NN_name/CMakeLists.txt. Builds build/bin/NN-name from the listed sources and
# records the stage in the global property LOOPLAB_STAGES, which tests/CMakeLists.txt uses to find the
# binary for each golden transcript (tests/golden/NN_demo.txt belongs to the stage numbered NN).
function(looplab_add_stage)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  get_filename_component(folder ${CMAKE_CURRENT_SOURCE_DIR} NAME)   # e.g. 01_generators
  string(REPLACE "_" "-" binary ${folder})                           # e.g. 01-generators
  string(SUBSTRING ${folder} 0 2 number)                              # e.g. 01
  add_executable(${binary} ${ARG_SOURCES})
  target_include_directories(${binary} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${binary} PRIVATE looplab_common)
  set_property(GLOBAL APPEND PROPERTY LOOPLAB_STAGES "${number}:${binary}:${CMAKE_CURRENT_SOURCE_DIR}")
  add_dependencies(stages ${binary})   # `make run` builds only these (the top-level CMakeLists.txt)
endfunction()
