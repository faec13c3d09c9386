"""nbgrader settings for the GAN Course (read by every nbgrader command run from this folder).

Each setting guards against a behaviour listed in shared/NBGRADER.md.
"""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "gan-course"
c.CourseDirectory.source_directory = "solutions"  # instructor masters
c.CourseDirectory.release_directory = "notebooks"  # what students get (generated)

# The stub students see in place of each solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Cells are guarded by smoke budgets; the timeout is only a backstop for slow machines.
c.Execute.timeout = 300

# A test cell with any stderr scores 0: drop known harmless residue before scoring.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?:.*Matplotlib is building the font cache.*|.*WARNING:traitlets.*)"

# Restore test cells a student deleted or whose metadata was stripped.
c.OverwriteCells.add_missing_cells = True

# Feedback must not reveal the hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
