// Keyboard entry for the assessment grid (templates/assessment/grid.html).
// The grid is a plain form and works without this file; with it:
//   arrows move between cells (Tab too), Enter moves down,
//   1..n set the n-th level of the scale, a level code's first letter sets that level,
//   0, Delete or Backspace empty the cell, "?" opens the cell's history;
//   changed cells are marked and counted, and leaving with unsaved changes asks first.
(function () {
  "use strict";

  var table = document.getElementById("grid");
  var form = document.getElementById("grid-form");
  if (!table || !form) {
    return;
  }
  var counter = document.getElementById("grid-changes");
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

  // Letter keys: the first letter of each level's code, when no other level shares it.
  var letters = {};
  var firstSelect = table.querySelector("select");
  if (firstSelect) {
    var seen = {};
    Array.prototype.forEach.call(firstSelect.options, function (option, index) {
      if (index === 0) {
        return;
      }
      var letter = option.text.trim().charAt(0).toLowerCase();
      if (!/\p{L}/u.test(letter)) {
        return;
      }
      seen[letter] = (seen[letter] || 0) + 1;
      letters[letter] = index;
    });
    Object.keys(seen).forEach(function (letter) {
      if (seen[letter] > 1) {
        delete letters[letter];
      }
    });
  }

  // Tab goes from cell to cell: history links stay reachable with "?".
  Array.prototype.forEach.call(table.querySelectorAll("a.history-link"), function (link) {
    link.tabIndex = -1;
  });

  function focusAt(r, c) {
    if (r < 0 || r >= controls.length) {
      return;
    }
    var rowControls = controls[r];
    var target = rowControls[Math.max(0, Math.min(c, rowControls.length - 1))];
    if (target) {
      target.focus();
    }
  }

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
      counter.textContent = n === 0 ? "" : n + (n > 1 ? " modifications non enregistrées" : " modification non enregistrée");
    }
  }

  function setLevel(select, index) {
    if (index < select.options.length && select.selectedIndex !== index) {
      select.selectedIndex = index;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function atEdge(textarea, forward) {
    if (textarea.selectionStart !== textarea.selectionEnd) {
      return false;
    }
    return forward ? textarea.selectionEnd === textarea.value.length : textarea.selectionStart === 0;
  }

  table.addEventListener("keydown", function (event) {
    var control = event.target;
    var where = position.get(control);
    if (!where || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var r = where[0];
    var c = where[1];
    var isSelect = control.tagName === "SELECT";
    var key = event.key;
    var moves = {
      ArrowUp: [r - 1, c, false],
      ArrowDown: [r + 1, c, true],
      ArrowLeft: [r, c - 1, false],
      ArrowRight: [r, c + 1, true],
    };
    if (moves[key]) {
      if (!isSelect && !atEdge(control, moves[key][2])) {
        return; // moving the caret inside a comment
      }
      event.preventDefault();
      focusAt(moves[key][0], moves[key][1]);
      return;
    }
    if (!isSelect) {
      return;
    }
    if (key === "Enter") {
      event.preventDefault();
      focusAt(r + 1, c);
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

  table.addEventListener("change", refresh);
  table.addEventListener("input", refresh);

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
