// run_process: a command gets stdin, stdout and stderr and no other descriptor of Vigil's,
// whether or not whoever opened it asked for close-on-exec.

#include "actors/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

namespace vigil::actors {
namespace {

TEST(process, a_command_inherits_no_descriptor_above_stderr) {
  // A listening socket and a file, both opened without close-on-exec (as asio opens sockets).
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  test::temp_dir dir;
  const int file = ::open(dir.file("held").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(file, 0);
  ASSERT_EQ(::fcntl(listener, F_GETFD) & FD_CLOEXEC, 0);

  exec_request req;
  req.key = "fd-check";
  // `test` is a shell builtin: /proc/self is the shell itself, and nothing new is opened.
  req.argv = {"sh", "-c",
              "for fd in " + std::to_string(listener) + " " + std::to_string(file)
                + " 3 4 5 6 7 8 9; do test -e /proc/self/fd/$fd && echo open:$fd; done; echo end"};
  const auto r = run_process(req, nullptr);
  ::close(listener);
  ::close(file);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.output, "end\n");
}

TEST(process, stdin_is_empty_and_stdout_and_stderr_are_captured) {
  exec_request req;
  req.key = "std-check";
  req.argv = {"sh", "-c", "cat; echo out; echo err >&2"};
  const auto r = run_process(req, nullptr);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.output, "out\nerr\n");
}

} // namespace
} // namespace vigil::actors
