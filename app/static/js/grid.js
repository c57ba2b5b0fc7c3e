// Spreadsheet-like entry for the assessment grid (templates/assessment/grid.html).
// The grid is a plain form and works without this file; with it:
//   arrows move between cells (Tab too), Enter moves down,
//   1..n set the n-th level of the scale, a level code's first letter sets that level,
//   0, Delete or Backspace empty the cell, "?" opens the cell's history;
//   Shift + arrows or Shift + click select a block of cells; Ctrl + D fills the selection down
//   from its first row, Ctrl + R right from its first column (also two buttons);
//   pasting tab-separated text (a block copied from Excel or LibreOffice) sets the cells from the
//   active one, after checking every value: one unknown value and nothing is pasted;
//   each cell is coloured by its level (its code stays written: colour is never alone);
//   changed cells are marked and counted, and leaving with unsaved changes asks first.
(function () {
  "use strict";

  var table = document.getElementById("grid");
  var form = document.getElementById("grid-form");
  var dataNode = document.getElementById("grid-data");
  if (!table || !form || !dataNode) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var messages = data.messages;
  var plurals = data.plurals;
  var levels = data.levels;
  var counter = document.getElementById("grid-changes");
  var status = document.getElementById("grid-selection");
  var pasteError = document.getElementById("grid-paste-error");
  var tools = document.getElementById("grid-tools");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var controls = rows.map(function (row) {
    return Array.prototype.slice.call(row.querySelectorAll("select, textarea"));
  });
  var position = new Map();
  controls.forEach(function (rowControls, r) {
    rowControls.forEach(function (control, c) {
      position.set(control, [r, c]);
      control.dataset.initial = control.value;
    });
  });

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // A counted text in this language: its forms for 0, 1 and 2 or more come from the page.
  function counted(name, n) {
    return format(plurals[name][Math.min(Math.abs(n), 2)], { n: n });
  }

  function isSelect(control) {
    return control && control.tagName === "SELECT";
  }

  // --- levels: colours, letters, what a pasted value may be ----------------------------------

  var levelClass = {};
  levels.forEach(function (level, index) {
    levelClass[String(level.id)] = "lv-" + (index + 1);
  });

  function paint(select) {
    var cell = select.closest("td");
    levels.forEach(function (level, index) {
      cell.classList.remove("lv-" + (index + 1));
    });
    if (levelClass[select.value]) {
      cell.classList.add(levelClass[select.value]);
    }
  }

  function plain(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[\u2018\u2019\u02bc`]/g, "'")
      .replace(/[\u2013\u2014]/g, "-")
      .replace(/\s+/g, " ")
      .trim()
      .toLowerCase();
  }

  // A pasted value is a level's code or label (accents, case and spaces ignored), or
  // "code – label" as the grid once showed it; an empty value empties the cell.
  var levelByText = {};
  levels.forEach(function (level) {
    [level.code, level.label, level.code + " - " + level.label]
      .forEach(function (text) {
        levelByText[plain(text)] = String(level.id);
      });
  });

  // Letter keys: the first letter of each level's code, when no other level shares it.
  var letters = {};
  var seen = {};
  levels.forEach(function (level, index) {
    var letter = level.code.trim().charAt(0).toLowerCase();
    if (!/\p{L}/u.test(letter)) {
      return;
    }
    seen[letter] = (seen[letter] || 0) + 1;
    letters[letter] = index + 1;
  });
  Object.keys(seen).forEach(function (letter) {
    if (seen[letter] > 1) {
      delete letters[letter];
    }
  });

  // Tab goes from cell to cell: history links stay reachable with "?".
  Array.prototype.forEach.call(table.querySelectorAll("a.history-link"), function (link) {
    link.tabIndex = -1;
  });

  // --- changes -------------------------------------------------------------------------------

  function changedCount() {
    var n = 0;
    position.forEach(function (_, control) {
      var changed = control.value !== control.dataset.initial;
      control.closest("td").classList.toggle("changed", changed);
      if (changed) {
        n += 1;
      }
    });
    return n;
  }

  function refresh() {
    var n = changedCount();
    if (counter) {
      counter.textContent = n === 0 ? "" : counted("changes", n);
    }
  }

  function setValue(select, value) {
    if (select.value === value) {
      return false;
    }
    select.value = value;
    paint(select);
    return true;
  }

  function setLevel(select, index) {
    if (index < select.options.length && select.selectedIndex !== index) {
      select.selectedIndex = index;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // --- selection -----------------------------------------------------------------------------

  var anchor = null; // [row, column] where the selection started
  var corner = null; // [row, column] of its other corner
  var extending = false;

  function bounds() {
    if (!anchor || !corner) {
      return null;
    }
    return {
      top: Math.min(anchor[0], corner[0]),
      bottom: Math.max(anchor[0], corner[0]),
      left: Math.min(anchor[1], corner[1]),
      right: Math.max(anchor[1], corner[1]),
    };
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function drawSelection() {
    Array.prototype.forEach.call(table.querySelectorAll("td.selected"), function (cell) {
      cell.classList.remove("selected");
    });
    var box = bounds();
    if (!box || (box.top === box.bottom && box.left === box.right)) {
      return;
    }
    for (var r = box.top; r <= box.bottom; r += 1) {
      for (var c = box.left; c <= box.right; c += 1) {
        var control = controls[r][c];
        if (control) {
          control.closest("td").classList.add("selected");
        }
      }
    }
    say(format(messages.selection, {
      rows: counted("rows", box.bottom - box.top + 1),
      columns: counted("columns", box.right - box.left + 1),
    }));
  }

  function focusAt(r, c, extend) {
    if (r < 0 || r >= controls.length) {
      return;
    }
    var rowControls = controls[r];
    c = Math.max(0, Math.min(c, rowControls.length - 1));
    var target = rowControls[c];
    if (!target) {
      return;
    }
    if (extend) {
      corner = [r, c];
      extending = true;
      target.focus();
      extending = false;
      drawSelection();
    } else {
      target.focus();
    }
    // Clear of the sticky header and learner column (the frame's scroll-padding).
    target.closest("td").scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  table.addEventListener("focusin", function (event) {
    var where = position.get(event.target);
    if (!where || extending) {
      return;
    }
    anchor = where;
    corner = where;
    drawSelection();
  });

  table.addEventListener("mousedown", function (event) {
    var control = event.target.closest("select, textarea");
    var where = control && position.get(control);
    if (!where || !event.shiftKey || !anchor) {
      return;
    }
    event.preventDefault(); // extend the selection instead of opening the menu
    focusAt(where[0], where[1], true);
  });

  // --- fill down, fill right -----------------------------------------------------------------

  function fill(direction) {
    var box = bounds();
    var n = 0;
    if (direction === "down") {
      if (!box || box.bottom === box.top) {
        say(messages.needRows);
        return;
      }
      for (var c = box.left; c <= box.right; c += 1) {
        var source = controls[box.top][c];
        if (!isSelect(source)) {
          continue;
        }
        for (var r = box.top + 1; r <= box.bottom; r += 1) {
          if (isSelect(controls[r][c]) && setValue(controls[r][c], source.value)) {
            n += 1;
          }
        }
      }
    } else {
      if (!box || box.right === box.left) {
        say(messages.needColumns);
        return;
      }
      for (var row = box.top; row <= box.bottom; row += 1) {
        var first = null;
        for (var col = box.left; col <= box.right; col += 1) {
          var control = controls[row][col];
          if (!isSelect(control)) {
            continue;
          }
          if (first === null) {
            first = control;
          } else if (setValue(control, first.value)) {
            n += 1;
          }
        }
      }
    }
    refresh();
    drawSelection();
    say(format(messages.filled, { cells: counted("filled", n) }));
  }

  if (tools) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-fill]");
      if (button) {
        fill(button.dataset.fill);
        var box = bounds();
        if (box) {
          controls[anchor[0]][anchor[1]].focus({ preventScroll: true });
        }
      }
    });
    // Keep the selection when the buttons take the focus.
    tools.addEventListener("mousedown", function (event) {
      if (event.target.closest("button[data-fill]")) {
        event.preventDefault();
      }
    });
  }

  // --- paste a block from a spreadsheet ------------------------------------------------------

  function cellName(select) {
    var ids = (select.getAttribute("aria-labelledby") || "").split(" ");
    var learner = document.getElementById(ids[0]);
    var criterion = document.getElementById(ids[1]);
    return {
      learner: learner ? learner.textContent.trim() : "",
      criterion: criterion ? criterion.textContent.trim() : "",
    };
  }

  function showPasteError(text) {
    pasteError.textContent = text;
    pasteError.hidden = false;
  }

  function parseBlock(text) {
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") {
      lines.pop(); // spreadsheets end a copied block with a line break
    }
    return lines.map(function (line) {
      return line.split("\t");
    });
  }

  function selectsOf(r) {
    return controls[r].filter(isSelect);
  }

  function paste(target, text) {
    var where = position.get(target);
    var block = parseBlock(text);
    var box = bounds();
    var targets = [];
    if (block.length === 1 && block[0].length === 1 && box &&
        (box.top !== box.bottom || box.left !== box.right)) {
      // One value onto a selection: every cell of the selection takes it.
      for (var r = box.top; r <= box.bottom; r += 1) {
        for (var c = box.left; c <= box.right; c += 1) {
          if (isSelect(controls[r][c])) {
            targets.push([controls[r][c], block[0][0]]);
          }
        }
      }
    } else {
      var width = Math.max.apply(null, block.map(function (cells) { return cells.length; }));
      var start = selectsOf(where[0]).indexOf(target);
      var name = cellName(target);
      if (where[0] + block.length > controls.length) {
        showPasteError(format(messages.tooLow, {
          rows: counted("rows", block.length), left: controls.length - where[0], learner: name.learner,
        }));
        return;
      }
      if (start + width > selectsOf(where[0]).length) {
        showPasteError(format(messages.tooWide, {
          columns: counted("columns", width),
          left: counted("criteria", selectsOf(where[0]).length - start),
          criterion: name.criterion,
        }));
        return;
      }
      block.forEach(function (cells, i) {
        var rowSelects = selectsOf(where[0] + i);
        cells.forEach(function (value, j) {
          targets.push([rowSelects[start + j], value]);
        });
      });
    }
    var values = [];
    for (var k = 0; k < targets.length; k += 1) {
      var raw = targets[k][1].trim();
      var value = raw === "" ? "" : levelByText[plain(raw)];
      if (value === undefined) {
        var cell = cellName(targets[k][0]);
        showPasteError(format(messages.unknown, {
          value: raw,
          levels: levels.map(function (level) { return level.code + " / " + level.label; }).join(", "),
          learner: cell.learner,
          criterion: cell.criterion,
        }));
        return;
      }
      values.push(value);
    }
    pasteError.hidden = true;
    pasteError.textContent = "";
    var n = 0;
    targets.forEach(function (pair, index) {
      if (setValue(pair[0], values[index])) {
        n += 1;
      }
    });
    if (targets.length > 1) {
      var last = position.get(targets[targets.length - 1][0]);
      corner = last;
      drawSelection();
    }
    refresh();
    say(format(messages.pasted, { cells: counted("pasted", n) }));
  }

  table.addEventListener("paste", function (event) {
    var target = event.target;
    if (!isSelect(target) || !position.has(target)) {
      return; // a comment takes pasted text as usual
    }
    var clipboard = event.clipboardData || window.clipboardData;
    var text = clipboard ? clipboard.getData("text/plain") : "";
    if (!text) {
      return;
    }
    event.preventDefault();
    paste(target, text);
  });

  // --- the keyboard --------------------------------------------------------------------------

  function atEdge(textarea, forward) {
    if (textarea.selectionStart !== textarea.selectionEnd) {
      return false;
    }
    return forward ? textarea.selectionEnd === textarea.value.length : textarea.selectionStart === 0;
  }

  table.addEventListener("keydown", function (event) {
    var control = event.target;
    var where = position.get(control);
    if (!where || event.altKey) {
      return;
    }
    var key = event.key;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && (key === "d" || key === "r")) {
      event.preventDefault();
      fill(key === "d" ? "down" : "right");
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      return;
    }
    var r = where[0];
    var c = where[1];
    var select = isSelect(control);
    var moves = {
      ArrowUp: [r - 1, c, false],
      ArrowDown: [r + 1, c, true],
      ArrowLeft: [r, c - 1, false],
      ArrowRight: [r, c + 1, true],
    };
    if (moves[key]) {
      if (!select && !atEdge(control, moves[key][2])) {
        return; // moving the caret inside a comment
      }
      event.preventDefault();
      if (event.shiftKey) {
        var from = corner || where;
        var step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[key];
        focusAt(from[0] + step[0], from[1] + step[1], true);
      } else {
        focusAt(moves[key][0], moves[key][1], false);
      }
      return;
    }
    if (!select) {
      return;
    }
    if (key === "Enter") {
      event.preventDefault();
      focusAt(r + 1, c, false);
    } else if (key === "0" || key === "Delete" || key === "Backspace") {
      event.preventDefault();
      setLevel(control, 0);
    } else if (/^[1-9]$/.test(key)) {
      event.preventDefault();
      setLevel(control, Number(key));
    } else if (key === "?") {
      var link = control.closest("td").querySelector("a.history-link");
      if (link) {
        event.preventDefault();
        window.location.href = link.href;
      }
    } else if (key.length === 1 && Object.prototype.hasOwnProperty.call(letters, key.toLowerCase())) {
      event.preventDefault();
      setLevel(control, letters[key.toLowerCase()]);
    }
  });

  table.addEventListener("change", function (event) {
    if (isSelect(event.target)) {
      paint(event.target);
    }
    refresh();
  });
  table.addEventListener("input", refresh);

  // The summary's links put the focus on the cell they name.
  Array.prototype.forEach.call(document.querySelectorAll("a.cell-link"), function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target && position.has(target)) {
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "center", inline: "center" });
      }
    });
  });

  // After a conflict or an error the page shows what was sent, still unsaved.
  var unsavedFromServer = document.querySelector(".conflicts, #grid-errors") !== null;
  var submitting = false;
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (unsavedFromServer || changedCount() > 0)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
