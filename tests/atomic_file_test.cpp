// Writing files whole or not at all, and refusing targets that a rename would destroy
// (framework/io/atomic_file.hpp).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class AtomicFile : public testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
    }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    static std::string read(const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    // The UserError message of f, or "" if it threw none.
    template <typename F>
    static std::string error_of(F&& f) {
        try {
            f();
        } catch (const UserError& e) {
            return e.what();
        }
        return "";
    }

    // Only the given entries are in the folder: no temporary file left behind.
    void expect_entries(std::size_t n) const {
        EXPECT_EQ(std::size_t(std::distance(fs::directory_iterator(dir_), fs::directory_iterator())), n);
    }

    test::TempDir temp_;
    fs::path dir_;
};

TEST_F(AtomicFile, WritesAndReplacesRegularFiles) {
    write_file_atomically(path("a.txt"), "first");
    write_file_atomically(path("a.txt"), "second, longer");
    EXPECT_EQ(read(path("a.txt")), "second, longer");
    check_can_write_atomically(path("a.txt"), "--out a.txt");   // an existing regular file: fine
    check_can_write_atomically(path("new.txt"), "--out new.txt");  // an absent one too
    expect_entries(1);  // the check's probe file is gone again
}

TEST_F(AtomicFile, ASymbolicLinkIsRefusedAndKept) {
    write_file_atomically(path("target.txt"), "keep me");
    fs::create_symlink(path("target.txt"), path("link.txt"));
    const std::string checked = error_of([&] { check_can_write_atomically(path("link.txt"), "--save-state link.txt"); });
    EXPECT_NE(checked.find("--save-state link.txt: is a symbolic link"), std::string::npos) << checked;
    const std::string written = error_of([&] { write_file_atomically(path("link.txt"), "new"); });
    EXPECT_NE(written.find("is a symbolic link"), std::string::npos) << written;
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(path("link.txt"))));
    EXPECT_EQ(read(path("target.txt")), "keep me");
    expect_entries(2);
}

TEST_F(AtomicFile, SpecialFilesAndFoldersAreRefused) {
    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0644), 0);
    EXPECT_NE(error_of([&] { write_file_atomically(path("fifo"), "x"); }).find("is a FIFO"), std::string::npos);
    EXPECT_TRUE(fs::is_fifo(path("fifo")));
    // /dev/null: renaming over it would replace the device for the whole machine (as root).
    const std::string device = error_of([&] { check_can_write_atomically("/dev/null", "--save-state /dev/null"); });
    EXPECT_NE(device.find("is a device or other special file"), std::string::npos) << device;
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    fs::create_directory(path("sub"));
    EXPECT_NE(error_of([&] { check_can_write_atomically(path("sub"), "--out sub"); }).find("is a directory"),
              std::string::npos);
    expect_entries(2);
}

TEST_F(AtomicFile, ProblemsThatWouldShowOnlyAtTheEndAreFoundUpFront) {
    EXPECT_NE(error_of([&] { check_can_write_atomically("", "--save-state"); }).find("--save-state: empty file name"),
              std::string::npos);
    const std::string missing = error_of([&] { check_can_write_atomically(path("no/such/x"), "--save-state x"); });
    EXPECT_NE(missing.find("does not exist"), std::string::npos) << missing;
    // A name that fits the folder but not with the temporary file's prefix and suffix.
    const std::string long_name(250, 'n');
    const std::string too_long = error_of([&] { check_can_write_atomically(path(long_name), "--save-state N"); });
    EXPECT_NE(too_long.find("cannot create a temporary file"), std::string::npos) << too_long;
    expect_entries(0);
}

}  // namespace
}  // namespace lrnn
