#pragma once

#include <string>

namespace vigil::test {

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// `path() + "/" + name`.
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// Writes `content` to `path`, replacing it.
void write_file(const std::string& path, const std::string& content);

/// Reads the whole file; empty when missing.
[[nodiscard]] std::string read_file(const std::string& path);

} // namespace vigil::test
