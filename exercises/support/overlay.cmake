# cmake -DSTAGE=dir -DFILE=name -DSOURCE=file -DOUT=dir -DSTAMP=file -P overlay.cmake
# Copies the stage's headers (demos/ included) into OUT, then SOURCE over OUT/FILE. Files that did not
# change keep their time stamps, so an edit to the student's file recompiles only its check.
file(GLOB_RECURSE headers RELATIVE ${STAGE} ${STAGE}/*.hpp)
foreach(h IN LISTS headers)
  get_filename_component(sub ${OUT}/${h} DIRECTORY)
  file(MAKE_DIRECTORY ${sub})
  if(NOT h STREQUAL FILE)
    file(COPY_FILE ${STAGE}/${h} ${OUT}/${h} ONLY_IF_DIFFERENT)
  endif()
endforeach()
file(MAKE_DIRECTORY ${OUT})
# A #line directive first, so compiler errors name the file the student edits, not this copy.
file(READ ${SOURCE} content)
file(WRITE ${OUT}/${FILE}.new "#line 1 \"${SOURCE}\"\n${content}")
file(COPY_FILE ${OUT}/${FILE}.new ${OUT}/${FILE} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}/${FILE}.new)
file(TOUCH ${STAMP})
