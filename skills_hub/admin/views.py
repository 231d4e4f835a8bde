"""The admin page: what needs an admin's attention (for now, background jobs that gave up)."""

from __future__ import annotations

import uuid
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from skills_hub.accounts.models import Role
from skills_hub.extensions import db
from skills_hub.jobs import services as jobs

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            abort(404)  # never confirm that an admin page exists
        return view(*args, **kwargs)

    return wrapper


@bp.get("")
@admin_required
def dashboard():
    return render_template("admin/dashboard.html", failed=jobs.failed_jobs())


@bp.post("/jobs/<uuid:job_id>/retry")
@admin_required
def retry_job(job_id: uuid.UUID):
    if jobs.retry(job_id):
        flash("The job will be tried again.", "success")
    db.session.commit()
    return redirect(url_for("admin.dashboard"))
