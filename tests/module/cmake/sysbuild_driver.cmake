# Runs the module's sysbuild CMake the way sysbuild does, in "cmake -P"
# script mode with the target commands stubbed (they are not scriptable).
#
# Inputs (-D): MODULE_DIR, RECORD (file the stubs append to), BUILD_DIR,
# APP_DIR, PYTHON_EXECUTABLE, ZEPHYR_BASE, IMAGES (;-list), the
# SB_CONFIG_ZEPHYR_OTA_* values, and optionally PROBE_RESULTS: a ;-list of
# exit statuses the stubbed execute_process returns in turn (unset: the real
# execute_process runs), and NO_MODULE_HOOKS=1 to play a sysbuild without
# sysbuild_module_call().
#
# What sysbuild does and this mimics: sysbuild_add_subdirectory() of the
# module's sysbuild-cmake folder with SYSBUILD_CURRENT_MODULE_NAME/_DIR set
# (share/sysbuild/images/CMakeLists.txt), then, once every image is
# configured, sysbuild_module_call(POST_CMAKE MODULES <names> IMAGES <images>)
# (sysbuild_images.cmake), which calls <module>_POST_CMAKE(IMAGES ...) if it
# is a command.

file(WRITE ${RECORD} "")

function(_record name)
  file(APPEND ${RECORD} "CALL ${name}\n")
  foreach(arg IN LISTS ARGN)
    file(APPEND ${RECORD} "ARG ${arg}\n")
  endforeach()
endfunction()

function(add_custom_target)
  _record(add_custom_target ${ARGV})
endfunction()

function(add_dependencies)
  _record(add_dependencies ${ARGV})
endfunction()

if(DEFINED PROBE_RESULTS)
  set_property(GLOBAL PROPERTY _probe_results ${PROBE_RESULTS})
  function(execute_process)
    cmake_parse_arguments(EP "OUTPUT_QUIET" "RESULT_VARIABLE;ERROR_VARIABLE" "COMMAND" ${ARGN})
    _record(execute_process ${EP_COMMAND})
    get_property(results GLOBAL PROPERTY _probe_results)
    list(POP_FRONT results result)
    set_property(GLOBAL PROPERTY _probe_results ${results})
    set(${EP_RESULT_VARIABLE} ${result} PARENT_SCOPE)
    if(EP_ERROR_VARIABLE)
      set(${EP_ERROR_VARIABLE} "Traceback (most recent call last):\nModuleNotFoundError: No module named 'cryptography'\n" PARENT_SCOPE)
    endif()
  endfunction()
endif()

if(NOT NO_MODULE_HOOKS)
  # sysbuild_extensions.cmake's sysbuild_module_call(<hook> MODULES ... IMAGES ...),
  # reduced to what it does for POST_CMAKE: call <module>_POST_CMAKE(IMAGES ...)
  # for each module that defines it.
  function(sysbuild_module_call)
    cmake_parse_arguments(SMC "POST_CMAKE" "" "MODULES;IMAGES" ${ARGN})
    foreach(module ${SMC_MODULES})
      if(COMMAND ${module}_POST_CMAKE)
        cmake_language(CALL ${module}_POST_CMAKE IMAGES ${SMC_IMAGES})
endif()
  endforeach()
endfunction()
endif()

# Script mode sets CMAKE_BINARY_DIR to the working directory; sysbuild's is
# the build directory.
set(CMAKE_BINARY_DIR ${BUILD_DIR})
set(SYSBUILD_CURRENT_MODULE_NAME zephyr-ota)
set(SYSBUILD_CURRENT_MODULE_DIR ${MODULE_DIR})
set(SYSBUILD_MODULE_NAMES zephyr-ota)

include(${MODULE_DIR}/zephyr/sysbuild/CMakeLists.txt)

set(SYSBUILD_CURRENT_MODULE_NAME)
set(SYSBUILD_CURRENT_MODULE_DIR)
if(NOT NO_MODULE_HOOKS)
  sysbuild_module_call(POST_CMAKE MODULES ${SYSBUILD_MODULE_NAMES} IMAGES ${IMAGES})
endif()
